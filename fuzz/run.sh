#!/usr/bin/env bash
# Runs the spaps-rs fuzz targets: fuzz/run.sh SECONDS [TARGET...]
#
# Builds them with the nightly toolchain (`cargo +nightly fuzz build`, installing
# cargo-fuzz from crates.io when it is missing), writes the seed corpora from the
# conformance cassettes and webhook vectors (fuzz/seed.sh), then runs every target (or
# the ones named) for SECONDS each. Exits non-zero when a target crashes, leaks, times
# out or runs out of memory; the input that did it is saved under
# fuzz/artifacts/<target>/. Works from any directory.
#
# Environment: SPAPS_FUZZ_TIMEOUT (seconds per input, default 10),
# SPAPS_FUZZ_RSS_MB (default 2048), SPAPS_FUZZ_ARGS (more libFuzzer flags).
set -euo pipefail

usage() { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
seconds="$1"
shift
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"
cd "$root"

all_targets=(fuzz_response fuzz_error fuzz_webhook fuzz_retry fuzz_device fuzz_cassette)
if [ $# -gt 0 ]; then
  targets=("$@")
  for t in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "unknown target: $t" >&2; exit 2; }
  done
else
  targets=("${all_targets[@]}")
fi

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz/run.sh needs a nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# -a: debug assertions and overflow checks on, in an optimized build (also cargo-fuzz's
# default; said explicitly so `build` and `run` never disagree and rebuild).
build_flags=(--fuzz-dir "$fuzz_dir" -a)

echo "== cargo +nightly fuzz build"
cargo +nightly fuzz build "${build_flags[@]}"

echo "== seeds"
SPAPS_FUZZ_BUILT=1 "$fuzz_dir/seed.sh" "$fuzz_dir/corpus"

logs="$fuzz_dir/target/run-logs"
mkdir -p "$logs"
failed=()
summary=()
for t in "${targets[@]}"; do
  echo "== $t (${seconds}s)"
  log="$logs/$t.log"
  mkdir -p "$fuzz_dir/corpus/$t"
  # shellcheck disable=SC2086
  if cargo +nightly fuzz run "${build_flags[@]}" "$t" "$fuzz_dir/corpus/$t" -- \
      -max_total_time="$seconds" \
      -rss_limit_mb="${SPAPS_FUZZ_RSS_MB:-2048}" \
      -timeout="${SPAPS_FUZZ_TIMEOUT:-10}" \
      -dict="$fuzz_dir/spaps.dict" \
      -print_final_stats=1 \
      ${SPAPS_FUZZ_ARGS:-} >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
    tail -n 60 "$log" >&2
  fi
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  summary+=("$(printf '%-14s %-6s execs=%-10s %s' "$t" "$status" "${execs:-?}" "${done_line:-}")")
  echo "${summary[-1]}"
done

echo "== summary (logs in $logs)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in $fuzz_dir/artifacts/)" >&2
  exit 1
fi

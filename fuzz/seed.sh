#!/usr/bin/env bash
# Writes the seed corpora of every fuzz target into fuzz/corpus/<target>/ (or into the
# directory given), from spaps-conformance/cassettes and spaps-conformance/vectors.
# Builds the fuzz crate first (nightly, `cargo fuzz build`) unless SPAPS_FUZZ_BUILT=1.
set -euo pipefail
fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"
out="${1:-$fuzz_dir/corpus}"
cd "$root"
if [ "${SPAPS_FUZZ_BUILT:-0}" != 1 ]; then
  cargo +nightly fuzz build --fuzz-dir "$fuzz_dir" ${SPAPS_FUZZ_BUILD_FLAGS:--a}
fi
# The seed generator is an ordinary binary (no sanitizer), built in a target directory
# of its own so it never invalidates the fuzz build.
cargo +nightly run --quiet --release --manifest-path "$fuzz_dir/Cargo.toml" \
  --target-dir "$fuzz_dir/target/seed" --bin seed -- "$out"

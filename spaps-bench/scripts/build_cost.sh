#!/usr/bin/env bash
# Build cost of an app that uses only spaps-tokio, or only spaps-blocking, against the
# same app on bare reqwest or bare ureq with the same TLS features (rustls on ring,
# reqwest with HTTP/2). Each app is made with `cargo new` in a temporary directory,
# takes the workspace's Cargo.lock (so every app builds the same versions), and is built
# from cold in a fresh CARGO_TARGET_DIR. Prints, per app: normal dependencies (`cargo
# tree -e normal`, the app itself left out), crates compiled (build scripts and proc
# macros included), and the wall time of the cold `cargo build`; then the SDK/bare ratios.
#
#   spaps-bench/scripts/build_cost.sh            # debug builds
#   spaps-bench/scripts/build_cost.sh --release  # release builds
#
# Not part of `spaps-bench --quick`: it takes minutes (four cold builds). Downloads
# nothing the workspace does not already use, once its dependencies are fetched.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
profile=()
label=debug
if [[ "${1:-}" == "--release" ]]; then
  profile=(--release)
  label=release
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/spaps-build-cost.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0
unset CARGO_TARGET_DIR RUSTFLAGS

rustls='rustls = { version = "0.23", default-features = false, features = ["std", "tls12", "ring"] }'
tokio='tokio = { version = "1", features = ["rt", "macros"] }'

app() { # name, dependency lines, main.rs
  local name="$1" deps="$2" main="$3"
  (cd "$work" && cargo new --quiet --bin "$name")
  printf '%s\n' "$deps" >>"$work/$name/Cargo.toml"
  printf '%s\n' "$main" >"$work/$name/src/main.rs"
  cp "$root/Cargo.lock" "$work/$name/Cargo.lock"
}

app sdk-tokio "spaps-tokio = { path = \"$root/spaps-tokio\" }
$tokio" '#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = spaps_tokio::Client::builder().base_url("http://127.0.0.1:3301").build();
    println!("{}", client.is_ok());
}'
app bare-reqwest "reqwest = { version = \"0.13\", default-features = false, features = [\"rustls-no-provider\", \"http2\"] }
$rustls
$tokio" '#[tokio::main(flavor = "current_thread")]
async fn main() {
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    let client = reqwest::Client::builder().tls_backend_preconfigured(tls).build();
    println!("{}", client.is_ok());
}'
app sdk-blocking "spaps-blocking = { path = \"$root/spaps-blocking\" }" 'fn main() {
    let client = spaps_blocking::Client::builder().base_url("http://127.0.0.1:3301").build();
    println!("{}", client.is_ok());
}'
app bare-ureq "ureq = { version = \"3\", default-features = false, features = [\"rustls-no-provider\"] }
$rustls" 'fn main() {
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder().tls_config(tls).build().into();
    println!("{:?}", agent.config().timeouts().global);
}'

declare -A deps crates secs
for name in sdk-tokio bare-reqwest sdk-blocking bare-ureq; do
  dir="$work/$name"
  # Fetch first, so the timed build measures compiling only.
  (cd "$dir" && cargo fetch --quiet)
  deps[$name]=$(cd "$dir" && cargo tree -e normal --prefix none \
    | sed -e 's/ (\*)$//' -e 's/ (proc-macro)$//' | sort -u | grep -vc "^$name v")
  start=$(date +%s.%N)
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build "${profile[@]}" 2>"$dir/build.log")
  end=$(date +%s.%N)
  secs[$name]=$(echo "$end - $start" | bc -l)
  crates[$name]=$(grep -c '^ *Compiling ' "$dir/build.log" || true)
  printf '# build cost (%s, cold): %-13s %4d normal dependencies, %4d crates compiled, %7.1f s\n' \
    "$label" "$name" "${deps[$name]}" "${crates[$name]}" "${secs[$name]}"
done
ratio() { echo "scale=3; $1 / $2" | bc -l; }
echo "ratio build_time_tokio_vs_reqwest $(ratio "${secs[sdk-tokio]}" "${secs[bare-reqwest]}") - report"
echo "ratio build_deps_tokio_vs_reqwest $(ratio "${deps[sdk-tokio]}" "${deps[bare-reqwest]}") - report"
echo "ratio build_time_blocking_vs_ureq $(ratio "${secs[sdk-blocking]}" "${secs[bare-ureq]}") - report"
echo "ratio build_deps_blocking_vs_ureq $(ratio "${deps[sdk-blocking]}" "${deps[bare-ureq]}") - report"
echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(rustc --version)"

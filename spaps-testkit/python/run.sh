#!/usr/bin/env bash
# Runs the reference Python client (spaps==0.5.0) through every endpoint against
# spaps-mock. Builds a venv under target/ on first use. Exits 0 when every answer was
# accepted; 1 when one was refused; 77 when python3 or the package is unavailable.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v python3 >/dev/null || { echo "python3 not found; skipped"; exit 77; }
venv=target/mock-py-venv
if ! "$venv/bin/python" -c "import spaps_client" 2>/dev/null; then
  python3 -m venv "$venv" || { echo "cannot create a venv; skipped"; exit 77; }
  "$venv/bin/pip" install -q "spaps==0.5.0" || { echo "cannot install spaps==0.5.0; skipped"; exit 77; }
fi
cargo build -q -p spaps-testkit --bin spaps-mock
out=$(mktemp)
"${CARGO_TARGET_DIR:-target}/debug/spaps-mock" 300 > "$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
url=$(head -n 1 "$out")
"$venv/bin/python" spaps-testkit/python/reference_against_mock.py "$url"

#!/usr/bin/env bash
# Interoperability: boto3 (installed from PyPI here) calls functions on fnkit-local through the
# Lambda Invoke API. Called by .ci/run after the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import boto3" 2>/dev/null || python3 -m pip install -q boto3

cargo build -q -p fnkit-local -p hello
work=$(mktemp -d)
log="$work/emulator.log"
target/debug/fnkit-local --bin target/debug/hello --port 0 --state-dir "$work/state" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
url=""
for _ in $(seq 200); do
  url=$(grep -o 'on http://[0-9.:]*' "$log" | head -1 | cut -c4- || true)
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { cat "$log"; echo "fnkit-local did not start"; exit 1; }
python3 scripts/check-boto3.py "$url"

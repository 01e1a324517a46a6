#!/usr/bin/env bash
# Interoperability: boto3 (installed from PyPI here) calls functions on fnkit-local through the
# Lambda Invoke API, then drives its S3 API (scripts/check-s3-boto3.py). Called by .ci/run after
# the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import boto3" 2>/dev/null || python3 -m pip install -q boto3

source scripts/lib.sh

cargo build -q --workspace --bins
work=$(mktemp -d)
start_emulator "$work/emulator.log" target/debug/fnkit-local --bin target/debug/hello --state-dir "$work/state"
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$work"' EXIT
python3 scripts/check-boto3.py "$URL"

# The S3 API, against the fixtures (their storage function records what fired it).
s3work=$(mktemp -d)
kill $PID 2>/dev/null; wait $PID 2>/dev/null || true
start_emulator "$s3work/emulator.log" target/debug/fnkit-local --bin target/debug/fixtures --state-dir "$s3work/state" --no-schedules --env "FIXTURE_OUT=$s3work/out.txt"
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$work" "$s3work"' EXIT
python3 scripts/check-s3-boto3.py "$URL" "$s3work/out.txt"
python3 scripts/check-sqs-boto3.py "$URL" "$s3work/out.txt"

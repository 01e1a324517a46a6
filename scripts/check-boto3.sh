#!/usr/bin/env bash
# Interoperability: boto3 (installed from PyPI here) calls functions on fnkit-local through the
# Lambda Invoke API. Called by .ci/run after the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import boto3" 2>/dev/null || python3 -m pip install -q boto3

source scripts/lib.sh

cargo build -q -p fnkit-local -p hello
work=$(mktemp -d)
start_emulator "$work/emulator.log" target/debug/fnkit-local --bin target/debug/hello --state-dir "$work/state"
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$work"' EXIT
python3 scripts/check-boto3.py "$URL"

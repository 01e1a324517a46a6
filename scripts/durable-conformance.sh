#!/usr/bin/env bash
# AWS's durable conformance suite (PyPI aws-durable-execution-conformance-tests 1.0.0) against
# fnkit-local, with its own validator, through boto3 (scripts/durable/conformance.py): first
# durable handlers written with AWS's official Python SDK (conformance/python, served as foreign
# functions from conformance/python/functions.json), then boto3 makes the calls the suite does
# not (scripts/durable/api_boto3.py), and last the handlers written with fnkit::durable
# (conformance/rust, one per requirement): per-suite results, every requirement of the suite
# without a Rust handler listed with its reason, and the last line `N passed, M failed`.
# Called by .ci/run.
#
# The packages go into a venv at .fnkit/python. The conformance package declares Python >= 3.14
# but its modules run on 3.11 (match statements and `X | Y` annotations under
# `from __future__ import annotations`), so it is installed with --ignore-requires-python and
# without its dependencies, which are installed by name (boto3 comes with the SDK).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.fnkit/python
if ! "$venv/bin/python" -c "import aws_durable_execution_sdk_python, awslambdaric, aws_durable_execution_conformance_tests" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'aws-durable-execution-sdk-python==3.0.0' 'awslambdaric==4.2.2' 'pyyaml>=6' 'packaging>=24'
  "$venv/bin/pip" install -q --no-deps --ignore-requires-python 'aws-durable-execution-conformance-tests==1.0.0'
fi

source scripts/lib.sh
cargo build -q --workspace --bins
work=$(mktemp -d)
start_emulator "$work/emulator.log" target/debug/fnkit-local --state-dir "$work/state" \
  --functions conformance/python/functions.json --functions conformance/rust/functions.json
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$work"' EXIT
conformance() { "$venv/bin/python" scripts/durable/conformance.py --endpoint "$URL" --workers 8 --map "$@"; }
show_log() { echo "--- fnkit-local's log" >&2; tail -n 200 "$work/emulator.log" >&2; }
echo "-- AWS's Python SDK (conformance/python)"
conformance conformance/python/requirements.json || { show_log; exit 1; }
echo "-- the durable API through boto3"
"$venv/bin/python" scripts/durable/api_boto3.py "$URL" || { show_log; exit 1; }
echo "-- fnkit::durable (conformance/rust), against every requirement of the suite"
conformance conformance/rust/requirements.json --all || { show_log; exit 1; }

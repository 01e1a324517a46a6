#!/usr/bin/env bash
# Fuzzes the decoders (fuzz/: cargo-fuzz and libFuzzer, on the stable toolchain with
# `--sanitizer none`): every target for SECS seconds each (default 30, what CI runs; pass 3600
# for an hour), seeded with aws_lambda_events' own event fixtures, the platform's JSON as AWS
# writes it. A panic fails the run; libFuzzer keeps its input under fuzz/artifacts/<target>/.
# cargo-fuzz is installed with cargo when missing (about a minute, once per machine).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-30}
command -v cargo-fuzz >/dev/null || cargo install --locked -q cargo-fuzz

# The fixtures of the aws_lambda_events version the workspace locks.
events_dir=$(cargo metadata --format-version 1 --locked | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
pkg = next(p for p in meta["packages"] if p["name"] == "aws_lambda_events")
print(os.path.join(os.path.dirname(pkg["manifest_path"]), "src", "fixtures"))')
seed() {  # seed TARGET PATTERN...: copies the fixtures matching the patterns into its corpus
  local corpus=fuzz/corpus/$1
  shift
  mkdir -p "$corpus"
  for pattern in "$@"; do
    cp "$events_dir"/$pattern "$corpus"/ 2>/dev/null || true
  done
  echo "-- $(ls "$corpus" | wc -l) inputs in $corpus"
}
seed events 'example-apigw-*request*.json' 'example-alb-*request*.json' 'example-s3-*.json' \
  'example-sqs-*.json' 'example-eventbridge-*.json' 'example-cloudwatch-event*.json'
seed http_answers 'example-apigw-*response*.json' 'example-alb-*response*.json'

cd fuzz
cargo fuzz build -s none
status=0
for target in events http_answers; do
  echo "-- fuzzing $target for ${SECS}s"
  log=$(mktemp)
  cargo fuzz run -s none "$target" "corpus/$target" -- \
    -max_total_time="$SECS" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=1
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY|thread|artifact_prefix|Test unit written)' "$log" || tail -20 "$log"
  rm -f "$log"
done
exit "$status"

#!/usr/bin/env bash
# The dashboard in a real headless Chromium (Debian's package) driven by Playwright
# (playwright-core from npm, the version scripts/dashboard/package-lock.json pins): loads the
# page, fires invocations and sees them arrive, opens one, replays it, invokes from the form,
# checks labels and keyboard focus, fails on any console error, and saves a screenshot to
# target/dashboard/dashboard.png (the CI artifact).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(cd scripts/dashboard && npm ci --no-audit --no-fund --silent)

# The feature set `cargo test --workspace` built: nothing is rebuilt.
cargo build -q --workspace --bins
work=$(mktemp -d)
cleanup() { kill "$PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start_emulator "$work/log" target/debug/fnkit-local --bin target/debug/fixtures \
  --bin target/debug/durable_sdk --state-dir "$work/state" --no-schedules --queue-retry-delay 50 \
  --durable-skip-time
node scripts/dashboard/check.mjs "$URL" target/dashboard

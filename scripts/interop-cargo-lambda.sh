#!/usr/bin/env bash
# Interoperability with cargo-lambda, a Runtime API implementation we did not write: runs the
# hello example under `cargo lambda watch` and checks that `cargo lambda invoke` gets the right
# answers. Not part of .ci/run: cargo-lambda takes about 15 minutes to build on 2 cores. Pass
# --install to install it from crates.io first; without it, a missing cargo-lambda is an error
# (exit 2), never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-lambda >/dev/null; then
  if [ "${1:-}" = "--install" ]; then
    cargo install --locked cargo-lambda
  else
    echo "cargo-lambda is not installed: run $0 --install (about 15 minutes on 2 cores)" >&2
    exit 2
  fi
fi

port=$((20000 + RANDOM % 20000))
log=$(mktemp)
# cargo-lambda names a function after its binary (`hello`); _HANDLER picks `add` inside it.
(cd examples/hello && setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" --env-var _HANDLER=add >"$log" 2>&1) &
watch=$!
trap 'kill $watch 2>/dev/null || true; pkill -f "cargo-lambda watch" 2>/dev/null || true; rm -f "$log"' EXIT

invoke() { cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$port" "$@"; }
for _ in $(seq 600); do
  invoke --data-ascii '{"a":1,"b":2}' hello >/dev/null 2>&1 && break
  sleep 1
done

answer=$(invoke --data-ascii '{"a":20,"b":22}' hello)
[ "$answer" = '{"sum":42}' ] || { echo "FAIL: add answered $answer"; cat "$log"; exit 1; }
echo "ok: cargo lambda invoke (add) -> $answer"

error=$(invoke --data-ascii '{"a":"x"}' hello 2>&1 || true)
echo "$error" | grep -q "Runtime.UnmarshalError" || { echo "FAIL: a malformed event gave: $error"; exit 1; }
echo "ok: a malformed event is a Runtime.UnmarshalError"
echo "2 passed, 0 failed"

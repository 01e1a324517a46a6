#!/usr/bin/env bash
# Measures `--watch`'s save-to-answer time for the hello example: the moment examples/hello's
# source is saved with a new greeting, to the first answer of `GET /hello/x` that has it
# (incremental debug build, the new build swapped in). Runs ROUNDS (default 5) times, prints each
# and the median. The source is restored afterwards. Not part of CI: timing is not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ROUNDS=${1:-5}
cargo build -q -p fnkit-local -p hello
src=examples/hello/src/main.rs
work=$(mktemp -d)
cp "$src" "$work/main.rs"
cleanup() { cp "$work/main.rs" "$src"; kill "$PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start_emulator "$work/log" target/debug/fnkit-local --watch --example hello --no-schedules --state-dir "$work/state"
curl -sf "$URL/hello/x" >/dev/null
python3 - "$URL" "$src" "$ROUNDS" <<'PY'
import statistics, sys, time, urllib.request
url, src, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
original = open(src).read()
assert '"hello".to_owned()' in original, "the example's default greeting moved"
took = []
for n in range(rounds):
    greeting = f"saved{n}"
    start = time.monotonic()
    with open(src, "w") as f:
        f.write(original.replace('"hello".to_owned()', f'"{greeting}".to_owned()'))
    while True:
        body = urllib.request.urlopen(f"{url}/hello/x", timeout=120).read().decode()
        if body.startswith(greeting):
            break
        time.sleep(0.005)
    took.append(time.monotonic() - start)
    print(f"round {n + 1}: {took[-1]:.2f} s")
    time.sleep(1)
print(f"save to answer, median of {rounds}: {statistics.median(took):.2f} s")
PY
echo "the emulator's own account: $(grep -o 'rebuilt in [0-9.]* s' "$work/log" | tr '\n' ' ')"

#!/usr/bin/env bash
# Benchmarks fnkit-local against the same no-op handler on a bare hyper server, on this machine,
# in one run. Prints the figures recorded in docs/performance.md. Not part of CI (timing is not a
# test); needs wrk and hey (installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need hey hey

cargo build --release -q -p fnkit-local -p fnkit-bench -p fnkit-tests
T=target/release
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Starts the emulator on a free port; sets URL and PID.
emulator() {
  start_emulator "$work/emulator-$RANDOM.log" "$T/fnkit-local" --state-dir "$work/state-$RANDOM" "$@"
  pids+=("$PID")
}
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }
ms() { python3 -c "import sys; print(round(float(sys.argv[1]) * 1000, 2))" "$1"; }

echo "== machine: $(nproc) cores, $(uname -r)"

# 1. Throughput at 16 connections: emulator (warm, 16 environments) vs bare hyper (current_thread).
emulator --bin "$T/noop"
E=$URL epid=$PID
sleep 0.5
echo "== emulator idle RSS: $(rss_kb "$epid") kB"
wrk -t1 -c16 -d3s "$E/noop" >/dev/null   # warm 16 environments
e16=$(wrk -t1 -c16 -d10s "$E/noop" | awk '/Requests\/sec/ {print $2}')
"$T/bare" 9311 1 >/dev/null 2>&1 & pids+=($!); sleep 0.3
b16=$(wrk -t1 -c16 -d10s http://127.0.0.1:9311/noop | awk '/Requests/ && /sec/ {print $2}')
echo "== c=16: emulator $e16 req/s, bare hyper $b16 req/s, ratio $(python3 -c "print(round($e16/$b16, 3))")"

# 2. Latency at one connection.
echo "== c=1 latency, emulator (warm):"
wrk -t1 -c1 -d10s --latency "$E/noop" | grep -A4 'Latency Distribution' | tail -4
echo "== c=1 latency, bare hyper:"
wrk -t1 -c1 -d10s --latency http://127.0.0.1:9311/noop | grep -A4 'Latency Distribution' | tail -4

# 3. Warm p99 at half of peak load (hey, rate-limited: 8 workers sharing the rate).
half=$(python3 -c "print(max(1, int($e16 / 2 / 8)))")
echo "== half of peak ($((half * 8)) req/s offered), emulator:"
hey -z 10s -c 8 -q "$half" "$E/noop" | grep -E 'Requests/sec|50%|99%|\[2'

# 4. Cold start: --reuse never, so every call spawns a worker (release build).
emulator --bin "$T/noop" --reuse never
C=$URL
sleep 0.3
echo "== cold start (no warm worker -> response), 200 sequential calls:"
hey -n 200 -c 1 "$C/noop" | grep -E '10%|50%|90%|99%|\[2'

# 5. A CPU-bound call past its 1 s timeout: how long after the deadline the caller is answered.
emulator --bin "$T/fixtures"
F=$URL
sleep 0.3
curl -s -o /dev/null -X POST "$F/2015-03-31/functions/spin/invocations" -d '{}'
echo "== timeout overshoot (answer time - 1000 ms), 5 calls:"
for _ in 1 2 3 4 5; do
  t=$(curl -s -o /dev/null -w '%{time_total}' -X POST "$F/2015-03-31/functions/spin/invocations" -d '{"spin":true}')
  python3 -c "print(f'  {float($t) * 1000 - 1000:.1f} ms')"
done
echo "== emulator RSS after all that: $(rss_kb "$epid") kB"

# 6. Queue drain: 1,000 messages sent in one request to a no-op queue function (batches of 10,
#    1 s window), timed from the send until the queue is empty and nothing is in flight.
emulator --bin "$T/noop"
Q=$URL
for run in 1 2 3; do
  python3 - "$Q" <<'PY'
import json, sys, time, urllib.request
base = sys.argv[1]
body = json.dumps([{"n": i} for i in range(1000)]).encode()
start = time.monotonic()
urllib.request.urlopen(urllib.request.Request(f"{base}/_fnkit/queues/drain/messages", data=body, method="POST")).read()
while True:
    q = json.load(urllib.request.urlopen(f"{base}/_fnkit/queues/drain"))
    if q["depth"] == 0 and q["in_flight"] == 0:
        break
    time.sleep(0.002)
took = time.monotonic() - start
print(f"== queue drain: 1000 messages in {took * 1000:.0f} ms ({1000 / took:.0f} msg/s)")
PY
done
calls=$(curl -s "$Q/_fnkit/stats" | python3 -c "import json,sys; print(next(s['invocations'] for s in json.load(sys.stdin) if s['function'] == 'drain'))")
echo "   in $calls invocations of drain for the 3,000 messages (300 if every batch was full)"

# 7. What idle execution environments cost: 200 concurrent calls of `pause` (1 s) start 200
#    workers (the account pool is 1,000, none reserved); once they answered, they idle, warm.
emulator --bin "$T/noop"
P=$URL
before=$(rss_kb "$PID")
python3 - "$P" <<'PY'
import concurrent.futures, sys, urllib.request
base = sys.argv[1]
def call(_):
    req = urllib.request.Request(f"{base}/2015-03-31/functions/pause/invocations", data=b'{"ms": 1000}', method="POST")
    return urllib.request.urlopen(req, timeout=120).status
with concurrent.futures.ThreadPoolExecutor(200) as pool:
    codes = list(pool.map(call, range(200)))
print(f"== 200 concurrent calls: {codes.count(200)} answered 200")
PY
warm=$(curl -s "$P/_fnkit/functions" | python3 -c "import json,sys; print(next(f['warm'] for f in json.load(sys.stdin) if f['name'] == 'pause'))")
workers=$(pgrep -P "$PID" | tr '\n' ' ')
total=0; n=0
for w in $workers; do total=$((total + $(rss_kb "$w"))); n=$((n + 1)); done
after=$(rss_kb "$PID")
echo "== idle environments: $warm warm, $n worker processes, $((total / n)) kB RSS each on average ($((total / 1024)) MB in all)"
echo "   emulator RSS: $before kB before, $after kB with them ($(((after - before) / n)) kB per environment)"

# 8. Durable checkpoints: one execution of `durable_steps` (tests/src/bin/durable_raw.rs) makes
#    1,000 step checkpoints in a row (START and SUCCEED in one batch, the answer read before the
#    next), over one kept-alive connection as an SDK would; the handler times them itself.
cat > "$work/durable.json" <<JSON
{"functions": [{"name": "durable_steps", "command": ["$PWD/$T/durable_raw"], "timeout_secs": 900,
  "durable": {"execution_timeout_secs": 3600, "retention_days": 1}}]}
JSON
emulator --functions "$work/durable.json"
for n in 100 1000; do
  us=$(curl -s -X POST "$URL/2015-03-31/functions/durable_steps:\$LATEST/invocations" -d "{\"n\": $n}" \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['checkpoint_us'])")
  echo "== durable: $n step checkpoints in one execution, $us µs each (round trip, from the handler)"
done

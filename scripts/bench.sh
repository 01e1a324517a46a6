#!/usr/bin/env bash
# Benchmarks fnkit on this machine in one run, release builds, default settings, and ends with
# the one table docs/performance.md records: the emulator against a bare hyper server, fnkit's
# HTTP mode against the same, fnkit's Lambda Runtime API client against the official
# `lambda_runtime`, cold starts, memory, timeouts, queues and durable checkpoints. Not part of CI
# (timing is not a test); needs wrk and hey (installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need hey hey

cargo build --release -q -p fnkit-local -p fnkit-bench -p fnkit-tests
T=target/release
POST=bench/wrk/post-json.lua
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Starts the emulator on a free port; sets URL, PID and LOG (its output).
emulator() {
  LOG=$work/emulator-$RANDOM.log
  start_emulator "$LOG" "$T/fnkit-local" --state-dir "$work/state-$RANDOM" "$@"
  pids+=("$PID")
}
# Stops the emulator PID (and so its workers) once its step is measured.
done_with() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
# Waits until something answers on URL.
until_up() { for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "nothing answers $1" >&2; return 1; }
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
# wrk --latency at one connection ARGS... -> "P50 P99" as wrk prints them
latency() { wrk -t1 -c1 -d10s --latency "$@" | awk '$1 == "50%" {a=$2} $1 == "99%" {b=$2} END {print a, b}'; }
# The median of the `Init Duration` of the REPORT lines of function $2 in log $1, in ms.
init_median() { grep "\[$2\] REPORT" "$1" | grep -o 'Init Duration: [0-9.]*' | awk '{print $3}' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# CPU time (ms) and context switches so far of processes $@, every thread, from /proc.
usage() {
  python3 - "$@" <<'PY'
import glob, os, sys
hz = os.sysconf("SC_CLK_TCK")
ms = switches = 0
for pid in sys.argv[1:]:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ms += (int(fields[11]) + int(fields[12])) * 1000 / hz
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        for line in open(status):
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                switches += int(line.split()[1])
print(ms, switches)
PY
}
# costs "PIDS" "PIDS2" ARGS... : runs wrk ARGS... once and prints "REQ_PER_SEC NON_2XX
# CPU_US SWITCHES CPU_US2 SWITCHES2": per request, the CPU time and context switches of the
# processes PIDS (space-separated), then of PIDS2 (may be empty), while it ran. Context switches
# are counted over the threads alive at the end; CPU time includes threads that ended.
costs() {
  local group=$1 group2=$2; shift 2
  read -r ms0 sw0 < <(usage $group)
  read -r mt0 st0 < <(usage $group2)
  wrk -t1 "$@" > "$work/wrk.txt"
  read -r ms1 sw1 < <(usage $group)
  read -r mt1 st1 < <(usage $group2)
  awk -v ms="$ms0 $ms1" -v sw="$sw0 $sw1" -v mt="$mt0 $mt1" -v st="$st0 $st1" '
    function per(pair, scale) { split(pair, v, " "); return (v[2] - v[1]) * scale / n }
    /requests in/ {n=$1} /Requests\/sec/ {r=$2} /Non-2xx/ {bad=$NF}
    END {
      if (n == 0) { print "wrk served no request" > "/dev/stderr"; exit 1 }
      printf "%s %d %.0f %.1f %.0f %.1f\n", r, bad + 0, per(ms, 1000), per(sw, 1), per(mt, 1000), per(st, 1)
    }' "$work/wrk.txt"
}
# wrk ARGS... -> "REQ_PER_SEC NON_2XX"
rate() { costs "" "" "$@" | cut -d' ' -f1,2; }
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

echo "== machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"

# The ceiling: the same handlers on a bare hyper server, multi-threaded on every core.
bare_port=$(free_port)
"$T/bare" "$bare_port" "$(nproc)" >/dev/null 2>&1 & bare_pid=$!; pids+=($!)
B=http://127.0.0.1:$bare_port
until_up "$B/noop"

# 1. The emulator's HTTP trigger path: gateway -> v2 event -> warm worker over the Runtime API.
emulator --bin "$T/noop"
E=$URL epid=$PID
sleep 0.5
idle_noop=$(rss_kb "$epid")
wrk -t1 -c16 -d3s "$E/noop" >/dev/null   # warms 16 environments
workers=$(pgrep -P "$epid" | tr '\n' ' ' || true)
[ -n "$workers" ] || { echo "the emulator started no worker" >&2; exit 1; }
read -r e16 e16bad ecpu esw wcpu wsw < <(costs "$epid" "$workers" -c16 -d10s "$E/noop")
read -r b16 _ bcpu bsw _ _ < <(costs "$bare_pid" "" -c16 -d10s "$B/noop")
echo "== c=16: emulator $e16 req/s ($e16bad non-2xx), bare hyper $b16 req/s"
echo "   CPU per request: emulator $ecpu µs ($esw context switches), its 16 workers $wcpu µs ($wsw), bare hyper $bcpu µs ($bsw)"
row "emulator HTTP trigger / bare hyper, 16 connections (≥ 0.2×, no non-2xx)" "$e16 / $b16 req/s, $e16bad non-2xx" "**$(ratio "$e16" "$b16")×**"
row "CPU per request at 16 connections (context switches per request)" "emulator $ecpu µs ($esw) + its workers $wcpu µs ($wsw); bare hyper $bcpu µs ($bsw)" ""
read -r e50 e99 < <(latency "$E/noop")
read -r b50 b99 < <(latency "$B/noop")
echo "== c=1: emulator p50 $e50 p99 $e99; bare hyper p50 $b50 p99 $b99"
row "emulator latency at 1 connection, p50 (≤ 150 µs)" "p50 **$e50**, p99 $e99 (bare hyper: p50 $b50, p99 $b99)" ""
half=$(python3 -c "print(max(1, int($e16 / 2 / 8)))")
hey -z 10s -c 8 -q "$half" "$E/noop" > "$work/hey.txt"
h99=$(awk '/ 99% in/ {print $3 * 1000}' "$work/hey.txt"); h50=$(awk '/ 50% in/ {print $3 * 1000}' "$work/hey.txt")
hrate=$(awk '/Requests\/sec/ {print int($2)}' "$work/hey.txt")
echo "== half of peak: $hrate req/s served ($((half * 8)) offered), p50 $h50 ms, p99 $h99 ms"
row "emulator warm p99 at half of peak load (< 1 ms)" "**$h99 ms** (p50 $h50 ms) at $hrate req/s (hey -c 8 -q $half)" ""
rss_after=$(rss_kb "$epid")
done_with "$epid"

# 2. HTTP mode: the function binary serving its routes itself (Knative, Cloud Run).
hport=$(free_port)
PORT=$hport FNKIT_HOST=127.0.0.1 "$T/noop" >/dev/null 2>&1 & http_pid=$!; pids+=($!)
H=http://127.0.0.1:$hport
until_up "$H/noop"
read -r h16 h16bad hcpu hsw _ _ < <(costs "$http_pid" "" -c16 -d10s "$H/noop")
read -r b16n _ bcpu2 bsw2 _ _ < <(costs "$bare_pid" "" -c16 -d10s "$B/noop")
read -r hecho hechobad < <(rate -c16 -d10s -s "$POST" "$H/echo")
read -r becho _ < <(rate -c16 -d10s -s "$POST" "$B/echo")
read -r h50 h99 < <(latency "$H/noop")
echo "== HTTP mode: no-op $h16 req/s vs $b16n; JSON echo $hecho vs $becho; c=1 p50 $h50"
row "HTTP mode / bare hyper, no-op route, 16 connections (≥ 0.8×)" "$h16 / $b16n req/s, $h16bad non-2xx" "**$(ratio "$h16" "$b16n")×**"
row "HTTP mode / bare hyper, JSON echo route, 16 connections (≥ 0.8×)" "$hecho / $becho req/s, $hechobad non-2xx" "**$(ratio "$hecho" "$becho")×**"
row "HTTP mode latency at 1 connection, no-op route" "p50 $h50, p99 $h99" ""
row "HTTP mode CPU per request, no-op route (context switches per request)" "$hcpu µs ($hsw); bare hyper $bcpu2 µs ($bsw2)" ""
done_with "$http_pid"

# 3. Lambda mode: the same echo handler on fnkit's Runtime API client and on lambda_runtime,
#    under the same Runtime API server (the emulator), called through the Invoke API.
cat > "$work/official.json" <<JSON
{"functions": [{"name": "echo_official", "command": ["$PWD/$T/official_echo"]}]}
JSON
emulator --bin "$T/fnkit_echo" --functions "$work/official.json"
L=$URL
for f in echo_fnkit echo_official; do wrk -t1 -c16 -d3s -s "$POST" "$L/2015-03-31/functions/$f/invocations" >/dev/null; done
read -r lf16 _ < <(rate -c16 -d10s -s "$POST" "$L/2015-03-31/functions/echo_fnkit/invocations")
read -r lo16 _ < <(rate -c16 -d10s -s "$POST" "$L/2015-03-31/functions/echo_official/invocations")
read -r lf50 _ < <(latency -s "$POST" "$L/2015-03-31/functions/echo_fnkit/invocations")
read -r lo50 _ < <(latency -s "$POST" "$L/2015-03-31/functions/echo_official/invocations")
echo "== Lambda mode: fnkit $lf16 req/s p50 $lf50; lambda_runtime $lo16 req/s p50 $lo50"
done_with "$PID"
row "Lambda mode, fnkit / lambda_runtime, 16 connections (fnkit not slower)" "$lf16 / $lo16 req/s" "**$(ratio "$lf16" "$lo16")×**"
row "Lambda mode, p50 at 1 connection, fnkit vs lambda_runtime" "$lf50 vs $lo50" ""
# Init Duration: 30 cold starts of each (--reuse never), the median of the REPORT lines.
emulator --bin "$T/fnkit_echo" --functions "$work/official.json" --reuse never
for f in echo_fnkit echo_official; do
  for _ in $(seq 30); do curl -s -o /dev/null -X POST "$URL/2015-03-31/functions/$f/invocations" -d '{}'; done
done
if_ms=$(init_median "$LOG" echo_fnkit); io_ms=$(init_median "$LOG" echo_official)
done_with "$PID"
size() { python3 -c "import os; print(f'{os.path.getsize(\"$1\") / 1e6:.1f} MB')"; }
echo "== Lambda mode: Init Duration median fnkit $if_ms ms, lambda_runtime $io_ms ms; binaries $(size "$T/fnkit_echo"), $(size "$T/official_echo")"
row "Lambda mode, Init Duration (median of 30), fnkit vs lambda_runtime" "$if_ms ms vs $io_ms ms" ""
row "Lambda mode, binary size (release profile), fnkit vs lambda_runtime" "$(size "$T/fnkit_echo") vs $(size "$T/official_echo")" ""

# 4. Cold start: --reuse never, so every call spawns a worker.
emulator --bin "$T/noop" --reuse never
sleep 0.3
hey -n 200 -c 1 "$URL/noop" > "$work/cold.txt"
c50=$(awk '/ 50% in/ {print $3 * 1000}' "$work/cold.txt"); c99=$(awk '/ 99% in/ {print $3 * 1000}' "$work/cold.txt")
echo "== cold start: p50 $c50 ms, p99 $c99 ms"
done_with "$PID"
row "cold start: no warm worker → response, median of 200 (≤ 5 ms)" "**$c50 ms** (p99 $c99 ms)" ""

# 5. Idle memory with 100 functions declared.
emulator --bin "$T/hundred"
until_up "$URL/f000"
sleep 0.5
idle100=$(rss_kb "$PID")
done_with "$PID"
echo "== idle RSS: $idle100 kB with 100 functions ($idle_noop kB with bench's 4)"
row "emulator idle RSS, 100 functions declared (≤ 20 MB)" "**$(python3 -c "print(f'{$idle100 / 1024:.1f}')") MB** ($idle100 kB; $idle_noop kB with 4)" ""

# 6. A CPU-bound call past its 1 s timeout: how long after the deadline the caller is answered.
emulator --bin "$T/fixtures"
curl -s -o /dev/null -X POST "$URL/2015-03-31/functions/spin/invocations" -d '{}'
over=()
for _ in 1 2 3 4 5; do
  t=$(curl -s -o /dev/null -w '%{time_total}' -X POST "$URL/2015-03-31/functions/spin/invocations" -d '{"spin":true}')
  over+=("$(python3 -c "print(f'{float($t) * 1000 - 1000:.1f}')")")
done
echo "== timeout overshoot: ${over[*]} ms"
done_with "$PID"
row "CPU-bound call past its 1 s timeout, answered after the deadline (≤ 20 ms)" "${over[*]} ms" ""

# 7. Queue drain: 1,000 messages sent in one request to a no-op queue function (batches of 10,
#    1 s window), timed from the send until the queue is empty and nothing is in flight.
emulator --bin "$T/noop"
Q=$URL
drains=()
for _ in 1 2 3; do
  drains+=("$(python3 - "$Q" <<'PY'
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
print(f"{(time.monotonic() - start) * 1000:.0f}")
PY
)")
done
calls=$(curl -s "$Q/_fnkit/stats" | python3 -c "import json,sys; print(next(s['invocations'] for s in json.load(sys.stdin) if s['function'] == 'drain'))")
echo "== queue drain: 1000 messages in ${drains[*]} ms; $calls invocations for 3,000 messages"
done_with "$PID"
row "queue: 1,000 messages drained (< 1 s), 3 runs" "${drains[*]} ms, $calls invocations for 3,000" ""

# 8. Durable checkpoints: one execution of `durable_steps` (tests/src/bin/durable_raw.rs) makes
#    N step checkpoints in a row over one kept-alive connection; the handler times them itself.
cat > "$work/durable.json" <<JSON
{"functions": [{"name": "durable_steps", "command": ["$PWD/$T/durable_raw"], "timeout_secs": 900,
  "durable": {"execution_timeout_secs": 3600, "retention_days": 1}}]}
JSON
emulator --functions "$work/durable.json"
steps=()
for n in 100 1000; do
  steps+=("$(curl -s -X POST "$URL/2015-03-31/functions/durable_steps:\$LATEST/invocations" -d "{\"n\": $n}" \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['checkpoint_us'])")")
done
echo "== durable: ${steps[0]} µs per checkpoint over 100 steps, ${steps[1]} µs over 1,000"
row "durable step checkpoint round trip, 100 / 1,000 steps" "${steps[0]} / ${steps[1]} µs" ""
echo "== emulator RSS after its load (step 1): $rss_after kB"

echo
echo "| measurement (target) | result | ratio |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"

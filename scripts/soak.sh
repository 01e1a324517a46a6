#!/usr/bin/env bash
# A bounded soak of the release emulator: N calls (100,000 by default; `scripts/soak.sh 20000`
# for a shorter one), four fifths through an HTTP route and one fifth through the Invoke API, at
# 16 connections, with the emulator's RSS, open descriptors and database size sampled every
# second. Prints the figures docs/reliability.md records, and fails if a call was lost (every
# call must have its ledger row) or one was answered with anything but 200. Not part of CI (it
# measures; its figures are in the docs); needs hey (installed from Debian's packages).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

N=${1:-100000}
command -v hey >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hey >/dev/null; }
cargo build --release -q -p fnkit-local -p fnkit-bench -p fnkit-tests
T=target/release
work=$(mktemp -d)
cleanup() { kill "${PID:-}" "${sampler:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_emulator "$work/emulator.log" "$T/fnkit-local" --state-dir "$work/state" \
  --bin "$T/noop" --bin "$T/fixtures" --no-schedules --max-concurrency 1000
db="$work/state/fnkit.db"
sample() {
  while kill -0 "$PID" 2>/dev/null; do
    rss=$(ps -o rss= -p "$PID" | tr -d ' ')
    fds=$(ls "/proc/$PID/fd" | wc -l)
    bytes=$(cat "$db" "$db-wal" 2>/dev/null | wc -c)
    echo "$(date +%s.%N) $rss $fds $bytes"
    sleep 1
  done
}
# Warm up (16 environments each), then take the baseline.
hey -n 2000 -c 16 "$URL/noop" >/dev/null
hey -n 500 -c 16 -m POST -d '{}' "$URL/2015-03-31/functions/echo/invocations" >/dev/null
sleep 1
ledger_rows() {
  python3 -c 'import json,sys; print(sum(s["invocations"] for s in json.loads(sys.argv[1]) if s["function"] in ("noop", "echo")))' "$(curl -s "$URL/_fnkit/stats")"
}
before=$(ledger_rows)
sample >"$work/samples" & sampler=$!
sleep 1.1
http=$((N * 4 / 5)); invoke=$((N - http))
start=$(date +%s.%N)
hey -n "$http" -c 16 "$URL/noop" >"$work/http.txt"
hey -n "$invoke" -c 16 -m POST -d '{"soak": true}' "$URL/2015-03-31/functions/echo/invocations" >"$work/invoke.txt"
end=$(date +%s.%N)
sleep 1.1
kill "$sampler"; wait "$sampler" 2>/dev/null || true
# hey sends a multiple of its connections; the ledger writes in batches, so its last batch gets
# a few seconds to land.
answered=$(cat "$work/http.txt" "$work/invoke.txt" | grep -oE '\[[0-9]{3}\][[:space:]]+[0-9]+' | awk '{s += $2} END {print s}')
for _ in $(seq 40); do
  rows=$(ledger_rows)
  [ $((rows - before)) -ge "$answered" ] && break
  sleep 0.25
done
recorded=$((rows - before))
python3 - "$work" "$N" "$start" "$end" "$recorded" <<'PY'
import re, sys
work, n, start, end, recorded = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
rows = [list(map(float, l.split())) for l in open(f"{work}/samples") if l.strip()]
first, last = rows[0], rows[-1]
def statuses(name):
    text = open(f"{work}/{name}").read()
    return {int(c): int(k) for c, k in re.findall(r"\[(\d{3})\]\s+(\d+) responses", text)}
answers = {}
for name in ("http.txt", "invoke.txt"):
    for code, count in statuses(name).items():
        answers[code] = answers.get(code, 0) + count
n = sum(answers.values())
print(f"== soak: {n} calls at 16 connections in {end - start:.1f} s = {n / (end - start):.0f} calls/s")
print(f"   answers: {answers}; ledger rows for them: {recorded}")
print(f"   RSS: {first[1] / 1024:.1f} MB at start, {max(r[1] for r in rows) / 1024:.1f} MB at most, {last[1] / 1024:.1f} MB at the end")
print(f"   descriptors: {int(first[2])} at start, {int(max(r[2] for r in rows))} at most, {int(last[2])} at the end")
print(f"   database (fnkit.db + WAL): {first[3] / 1e6:.1f} MB -> {last[3] / 1e6:.1f} MB, {(last[3] - first[3]) / n:.0f} bytes per call")
ok = set(answers) == {200} and recorded == n
print("== soak " + ("passed" if ok else "FAILED: a call was lost or refused"))
sys.exit(0 if ok else 1)
PY

# Shared by the scripts: start fnkit-local on a free port and learn its URL.
# Usage: start_emulator LOG BINARY ARGS...  (sets URL and PID; the caller stops PID)
start_emulator() {
  local log=$1 bin=$2
  shift 2
  "$bin" --port 0 "$@" >"$log" 2>&1 &
  PID=$!
  URL=""
  for _ in $(seq 400); do
    URL=$(grep -o 'on http://[0-9.:]*' "$log" | head -1 | cut -c4- || true)
    [ -n "$URL" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log" >&2
  echo "fnkit-local did not start" >&2
  return 1
}

#!/usr/bin/env bash
# Deploy targets, checked with tools we did not write: every example is packaged for AWS Lambda
# (cargo-zigbuild links it against glibc 2.17) and for Knative; each SAM template must pass
# cfn-lint, each binary must need no glibc newer than provided.al2023's 2.34 (objdump -T), each
# zip must hold an executable `bootstrap` that really serves under the Runtime API, and the
# Knative files must be well-formed. Installs cargo-zigbuild (crates.io), ziglang and cfn-lint
# (PyPI) when missing. Called by .ci/run after the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

command -v cargo-zigbuild >/dev/null || cargo install --locked -q cargo-zigbuild
python3 -c "import ziglang" 2>/dev/null || python3 -m pip install -q ziglang
command -v cfn-lint >/dev/null || python3 -m pip install -q cfn-lint
python3 -c "import yaml" 2>/dev/null || python3 -m pip install -q pyyaml
command -v objdump >/dev/null || { apt-get update -qq && apt-get install -y -qq binutils >/dev/null; }
command -v unzip >/dev/null || { apt-get update -qq && apt-get install -y -qq unzip >/dev/null; }

cargo build -q --workspace --bins
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
passed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }

for example in hello uploads orders cleanup; do
  out="$work/$example"
  target/debug/fnkit-local package --target lambda --example "$example" --out "$out" | tee "$work/$example.txt"
  grep -q "linked by cargo-zigbuild" "$work/$example.txt" || { echo "FAIL: $example was not built by cargo-zigbuild"; exit 1; }
  template="$out/lambda/template.yaml"
  cfn-lint "$template"
  ok "$example: cfn-lint accepts the SAM template"
  for zip in "$out"/lambda/*/bootstrap.zip; do
    listing=$(unzip -Z "$zip")
    grep -qE '^-rwx.* bootstrap$' <<<"$listing" || { echo "FAIL: $zip has no executable bootstrap"; echo "$listing"; exit 1; }
  done
  ok "$example: every zip holds an executable bootstrap"
  first=$(ls "$out"/lambda/*/bootstrap.zip | head -1)
  unzip -q -o "$first" -d "$out/unzipped"
  symbols=$(objdump -T "$out/unzipped/bootstrap")
  highest=$(grep -o 'GLIBC_[0-9.]*' <<<"$symbols" | sed 's/GLIBC_//' | sort -V | tail -1)
  [ "$(printf '%s\n2.34\n' "$highest" | sort -V | tail -1)" = "2.34" ] || { echo "FAIL: $example needs GLIBC_$highest > 2.34"; exit 1; }
  ok "$example: the packaged binary needs at most GLIBC_$highest (provided.al2023 has 2.34)"

  target/debug/fnkit-local package --target knative --example "$example" --out "$out" >/dev/null
  python3 - "$out/knative" <<'PY'
import sys, yaml, pathlib
d = pathlib.Path(sys.argv[1])
service = yaml.safe_load((d / "service.yaml").read_text())
assert service["apiVersion"] == "serving.knative.dev/v1" and service["kind"] == "Service", service
container = service["spec"]["template"]["spec"]["containers"][0]
assert {"name": "FNKIT_MODE", "value": "http"} in container["env"], container
for doc in yaml.safe_load_all((d / "triggers.yaml").read_text()):
    if doc is None:
        continue
    assert doc["kind"] in ("Trigger", "PingSource"), doc
    sink = doc["spec"].get("subscriber") or doc["spec"]["sink"]
    assert sink["ref"]["name"] == service["metadata"]["name"] and sink["uri"].startswith("/"), doc
docker = (d / "Dockerfile").read_text()
assert "ENTRYPOINT" in docker and "FNKIT_MODE=http" in docker, docker
PY
  ok "$example: the Knative Service, Triggers and Dockerfile are well-formed"
done

# A durable function's template (the saga example, from its debug build: its template is the
# point, and the cross build is the same as above): DurableConfig, and its role's own policy
# for checkpoints and state on its qualified ARNs.
target/debug/fnkit-local package --target lambda --bin target/debug/saga --out "$work/saga" >/dev/null
cfn-lint "$work/saga/lambda/template.yaml"
grep -q "DurableConfig:" "$work/saga/lambda/template.yaml" || { echo "FAIL: saga has no DurableConfig"; exit 1; }
grep -q "lambda:CheckpointDurableExecution" "$work/saga/lambda/template.yaml" || { echo "FAIL: saga may not checkpoint"; exit 1; }
ok "saga (durable): cfn-lint accepts DurableConfig and the durable execution policy"

# The zigbuild binary, taken out of its zip, serves under the Runtime API (fnkit-local's).
unzip -q -o "$work/hello/lambda/hello/bootstrap.zip" -d "$work/run"
start_emulator "$work/run.log" target/debug/fnkit-local --bin "$work/run/bootstrap" --state-dir "$work/state"
pids+=("$PID")
answer=$(curl -s "$URL/hello/zig")
case "$answer" in "hello, zig!"*) ok "the packaged bootstrap answers: $answer" ;; *) echo "FAIL: $answer"; cat "$work/run.log"; exit 1 ;; esac

echo "$passed passed, 0 failed"

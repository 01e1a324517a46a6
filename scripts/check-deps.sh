#!/usr/bin/env bash
# Dependency hygiene: no dependency that no code uses (cargo-machete), and every crate from
# crates.io under a licence deny.toml allows, none banned (cargo-deny; advisories are not checked
# here, as the advisory database is fetched from outside the package registries). Each tool is
# installed with cargo when missing (a few minutes, once per machine).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cargo-machete cargo-deny; do
  command -v "$tool" >/dev/null || cargo install --locked -q "$tool"
done

echo "-- cargo machete"
cargo machete
echo "-- cargo deny check bans licenses sources"
cargo deny --log-level error check bans licenses sources
echo "-- layout (file and function length, import cycles)"
python3 scripts/check-layout.py

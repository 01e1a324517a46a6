#!/usr/bin/env bash
# The publishable crates package and build from their packages alone, as crates.io would take
# them: fnkit-spec, fnkit-macros, fnkit (the one users depend on) and fnkit-local (the tool).
# `cargo package` resolves their dependencies on each other through a local registry, so this
# holds before anything is published; `cargo publish` is the same command away.
set -euo pipefail
cd "$(dirname "$0")/.."

# `cargo package` serves the crates to each other from target/package/tmp-registry, unpacks them
# under cargo's home (keyed by that folder's path) and builds them as registry crates, which cargo
# takes to be immutable: a second run from the same folder would reuse the first run's copies and
# builds (same name and version, older code). Drop both first.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/fnkit-*0.1.0
cargo clean -q -p fnkit-spec -p fnkit-macros -p fnkit -p fnkit-local
cargo package --locked -p fnkit-spec -p fnkit-macros -p fnkit -p fnkit-local
for crate in fnkit-spec fnkit-macros fnkit fnkit-local; do
  test -s "target/package/$crate-0.1.0.crate" || { echo "no package for $crate" >&2; exit 1; }
done
echo "4 passed, 0 failed"

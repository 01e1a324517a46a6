//! A new build served in place: when the rebuilt binaries declare the same functions with the
//! same attributes (their code changed, nothing the emulator set up from), their served copies
//! are replaced (`snapshot.rs`), each function moves to its new version number, the gate opens
//! on a new generation, and the warm environments of the old build are stopped (those busy
//! finish their call and are stopped then).

use std::path::PathBuf;

use fnkit::manifest::{FunctionSpec, Manifest};

use crate::{Emulator, EmulatorError};

/// Swaps `next` in, or answers `false` when its functions differ from those served (a restart
/// is needed).
pub(crate) async fn swap(
    emulator: &Emulator,
    next: &[(PathBuf, Manifest)],
) -> Result<bool, EmulatorError> {
    let engine = emulator.engine();
    let state_dir = engine.config.state_dir.clone();
    // Each function as it would be served: from the copy of its binary.
    let copies: Vec<PathBuf> = next
        .iter()
        .map(|(bin, _)| super::snapshot::path(&state_dir, bin))
        .collect();
    let functions: Vec<(FunctionSpec, PathBuf)> = next
        .iter()
        .zip(&copies)
        .flat_map(|((_, m), copy)| m.functions.iter().map(move |s| (s.clone(), copy.clone())))
        .collect();
    let served_from_these = engine
        .functions
        .values()
        .filter(|f| copies.contains(&f.config.binary))
        .count();
    let same = served_from_these == functions.len()
        && functions.iter().all(|(spec, bin)| {
            engine
                .functions
                .get(spec.name.as_ref())
                .is_some_and(|f| f.config.binary == *bin && same_attributes(&f.spec, spec))
        });
    if !same {
        return Ok(false);
    }
    let bins: Vec<PathBuf> = next.iter().map(|(bin, _)| bin.clone()).collect();
    let versions = tokio::task::spawn_blocking(move || {
        super::snapshot::install(&state_dir, &bins)?;
        crate::versions::assign(&state_dir, &functions).map_err(EmulatorError::from)
    })
    .await
    .map_err(super::io)??;
    for (name, version) in versions {
        if let Some(f) = engine.functions.get(&name) {
            f.set_version(version);
        }
    }
    engine.builds.built();
    engine.stop_all();
    Ok(true)
}

/// Whether two specs differ only in where the function is written (a line added above it moves
/// it, and changes nothing served).
fn same_attributes(served: &FunctionSpec, next: &FunctionSpec) -> bool {
    let mut moved = next.clone();
    moved.source = served.source.clone();
    *served == moved
}

//! The builder's checks: where state lives is said once, and given manifests are checked.

use super::*;
use fnkit::manifest::{FunctionSpec, Trigger, MANIFEST_VERSION};

fn manifest(functions: Vec<FunctionSpec>) -> Manifest {
    Manifest {
        manifest_version: MANIFEST_VERSION,
        fnkit_version: "0.1.0".into(),
        functions,
    }
}

fn http(name: &'static str, path: &'static str) -> FunctionSpec {
    let trigger = Trigger::Http {
        method: "GET".into(),
        path: path.into(),
    };
    FunctionSpec::new(name, trigger, 3, 128, None, 2, "src/main.rs", 1, "app")
}

#[test]
fn where_state_lives_is_said_once_when_it_is_created() {
    let state = std::env::temp_dir().join(format!("fnkit-first-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let build = || {
        let (logs, lines) = Logs::capture(false);
        let config = Config {
            state_dir: state.clone(),
            ..Config::default()
        };
        Emulator::builder()
            .config(config)
            .logs(logs)
            .binary_with_manifest("/bin/true", manifest(vec![http("a", "/a")]))
            .build()
            .unwrap();
        let said = lines.lock().unwrap().clone();
        said
    };
    let first = build();
    assert!(
        first
            .iter()
            .any(|l| l.contains("keeping state in") && l.contains(&state.display().to_string())),
        "{first:?}"
    );
    let second = build();
    assert!(
        !second.iter().any(|l| l.contains("keeping state in")),
        "{second:?}"
    );
    // A relative state dir (the default) gets the .gitignore hint, unless it is ignored.
    let hint = crate::state::first_use_hint(std::path::Path::new(".fnkit"));
    assert!(
        hint.ends_with("; add `.fnkit/` to your .gitignore"),
        "{hint}"
    );
    let _ = std::fs::remove_dir_all(state);
}

#[test]
fn a_given_manifest_is_checked_like_a_described_one() {
    let state = std::env::temp_dir().join(format!("fnkit-builder-{}", std::process::id()));
    let config = Config {
        state_dir: state.clone(),
        ..Config::default()
    };
    let bad = manifest(vec![http("a", "/users/:id")]);
    let built = Emulator::builder()
        .config(config.clone())
        .binary_with_manifest("/bin/true", bad)
        .build();
    assert!(
        matches!(built, Err(EmulatorError::Manifest { .. })),
        "{built:?}"
    );
    // Two binaries whose routes collide are refused, naming both functions.
    let built = Emulator::builder()
        .config(config)
        .binary_with_manifest("/bin/a", manifest(vec![http("one", "/u/{id}")]))
        .binary_with_manifest("/bin/b", manifest(vec![http("two", "/u/{name}")]))
        .build();
    let message = built.unwrap_err().to_string();
    assert!(
        message.contains("`one`") && message.contains("`two`"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(state);
}

#[test]
fn overlapping_storage_functions_are_refused_at_start_naming_both() {
    let state = std::env::temp_dir().join(format!("fnkit-overlap-{}", std::process::id()));
    let storage = |name: &'static str, prefix: &'static str| {
        let trigger = Trigger::Storage {
            bucket: "uploads".into(),
            prefix: Some(prefix.into()),
            suffix: None,
            events: fnkit::manifest::StorageEvents::Created,
        };
        FunctionSpec::new(name, trigger, 3, 128, None, 2, "src/main.rs", 1, "app")
    };
    let built = Emulator::builder()
        .config(Config {
            state_dir: state.clone(),
            ..Config::default()
        })
        .binary_with_manifest("/bin/a", manifest(vec![storage("all_csv", "csv/")]))
        .binary_with_manifest("/bin/b", manifest(vec![storage("csv_2026", "csv/2026/")]))
        .build();
    let message = built.unwrap_err().to_string();
    assert!(
        message.contains("`all_csv`") && message.contains("`csv_2026`"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(state);
}

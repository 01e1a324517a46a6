//! The binaries `--watch` serves are copies, not cargo's files: cargo relinks `target/debug/app`
//! whenever a package compiles, also when the build as a whole fails (`--keep-going` across
//! several binaries) or when the new binary cannot be served. Workers start from
//! `<state-dir>/builds/<name>-<hash of its path>`, which a build replaces (by a rename, so a
//! worker already running keeps its file) only once it is accepted: until then every cold start
//! runs the last good build.

use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

/// Where the served copy of `binary` lives.
pub(super) fn path(state_dir: &Path, binary: &Path) -> PathBuf {
    let digest = Md5::digest(binary.as_os_str().as_encoded_bytes());
    let name = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    state_dir.join("builds").join(format!("{name}-{short}"))
}

/// Copies each of `binaries` to its served place (a temporary file renamed over the old copy);
/// blocks: run it off the runtime.
pub(super) fn install(state_dir: &Path, binaries: &[PathBuf]) -> std::io::Result<()> {
    for binary in binaries {
        let target = path(state_dir, binary);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let staged = target.with_extension("new");
        std::fs::copy(binary, &staged)?;
        // The build's own time, which its version number is told by (see `versions.rs`).
        let built = std::fs::metadata(binary)?.modified()?;
        std::fs::File::options()
            .write(true)
            .open(&staged)?
            .set_modified(built)?;
        std::fs::rename(&staged, &target)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_copy_is_replaced_by_a_rename_and_names_do_not_collide() {
        let dir = std::env::temp_dir().join(format!("fnkit-snapshot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::create_dir_all(dir.join("b")).unwrap();
        let (one, two) = (dir.join("a/app"), dir.join("b/app"));
        std::fs::write(&one, "one").unwrap();
        std::fs::write(&two, "two").unwrap();
        let state = dir.join("state");
        install(&state, &[one.clone(), two.clone()]).unwrap();
        assert_ne!(path(&state, &one), path(&state, &two));
        let held = std::fs::File::open(path(&state, &one)).unwrap();
        std::fs::write(&one, "one, rebuilt").unwrap();
        install(&state, std::slice::from_ref(&one)).unwrap();
        assert_eq!(
            std::fs::read_to_string(path(&state, &one)).unwrap(),
            "one, rebuilt"
        );
        // The file a running worker holds is the old one, untouched.
        let mut old = String::new();
        std::io::Read::read_to_string(&mut &held, &mut old).unwrap();
        assert_eq!(old, "one");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! Function versions, as Lambda numbers them: each build of a function's binary that the emulator
//! serves is a new version (1, 2, ...), remembered in the state directory's database, so the
//! alias the packager publishes (`live`, [`fnkit_spec::names::ALIAS`]), `$LATEST` and the current
//! version number all name the running build, and any other qualifier is not found.
//!
//! Assigned once at start-up (a build is told by its binary's size and modification time), on
//! the caller's thread: it runs before the emulator serves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use fnkit::manifest::FunctionSpec;
use rusqlite::{params, OptionalExtension};

use crate::db::DbError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS versions (
    function    TEXT NOT NULL,
    build       TEXT NOT NULL,          -- the binary's size and mtime
    version     INTEGER NOT NULL,
    PRIMARY KEY (function, build)
);
";

pub(crate) use fnkit_spec::qualifier::{function_target, resolve, Resolved};

/// The version of each function's build: known builds keep their number, a new one gets the
/// next.
pub(crate) fn assign(
    state_dir: &Path,
    functions: &[(FunctionSpec, PathBuf)],
) -> Result<HashMap<String, u32>, DbError> {
    let path = crate::db::file(state_dir)?;
    let err = |source| DbError::Sqlite {
        path: path.clone(),
        source,
    };
    let mut conn = crate::db::open(&path)?;
    conn.execute_batch(SCHEMA).map_err(err)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(err)?;
    let mut versions = HashMap::new();
    for (spec, binary) in functions {
        let function = spec.name.as_ref();
        let build = fingerprint(binary);
        let known: Option<u32> = tx
            .query_row(
                "SELECT version FROM versions WHERE function = ?1 AND build = ?2",
                params![function, build],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        let version = match known {
            Some(v) => v,
            None => {
                let next: u32 = tx
                    .query_row(
                        "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE function = ?1",
                        params![function],
                        |r| r.get(0),
                    )
                    .map_err(err)?;
                tx.execute(
                    "INSERT INTO versions (function, build, version) VALUES (?1, ?2, ?3)",
                    params![function, build, next],
                )
                .map_err(err)?;
                next
            }
        };
        versions.insert(function.to_owned(), version);
    }
    tx.commit().map_err(err)?;
    Ok(versions)
}

/// A build's fingerprint: the binary's size and modification time.
fn fingerprint(binary: &Path) -> String {
    let meta = std::fs::metadata(binary).ok();
    let size = meta.as_ref().map_or(0, std::fs::Metadata::len);
    let mtime = meta
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{size}:{mtime}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_build_is_the_next_version_and_a_known_one_keeps_its_number() {
        let dir = std::env::temp_dir().join(format!("fnkit-versions-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("app");
        std::fs::write(&bin, b"one").unwrap();
        let spec = FunctionSpec::new(
            "f",
            fnkit::manifest::Trigger::Event,
            3,
            128,
            None,
            2,
            "m.rs",
            1,
            "m",
        );
        let functions = vec![(spec, bin.clone())];
        assert_eq!(assign(&dir, &functions).unwrap()["f"], 1);
        assert_eq!(assign(&dir, &functions).unwrap()["f"], 1, "the same build");
        std::fs::write(&bin, b"a longer build").unwrap();
        assert_eq!(assign(&dir, &functions).unwrap()["f"], 2, "rebuilt");
        let _ = std::fs::remove_dir_all(dir);
    }
}

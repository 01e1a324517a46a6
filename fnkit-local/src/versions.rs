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

/// What a qualifier names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// `$LATEST` (or no qualifier).
    #[default]
    Latest,
    /// A published version (by number or through the alias): its number.
    Version(u32),
}

impl Resolved {
    /// What `X-Amz-Executed-Version` says.
    pub fn executed(&self) -> String {
        match self {
            Resolved::Latest => "$LATEST".to_owned(),
            Resolved::Version(n) => n.to_string(),
        }
    }
}

/// The function and qualifier a path names: `name`, `name:qualifier`, or a full or partial ARN
/// with or without its qualifier, URL-decoded.
pub(crate) fn function_target(raw: &str) -> (String, Option<String>) {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    let parts: Vec<&str> = decoded.split(':').collect();
    let (name, qualifier) = match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, rest @ ..] => (*name, rest.first()),
        [_, "function", name, rest @ ..] => (*name, rest.first()),
        [name, qualifier] => (*name, Some(qualifier)),
        _ => return (decoded.clone(), None),
    };
    (name.to_owned(), qualifier.map(|q| (*q).to_owned()))
}

/// What `qualifier` names for a function whose current version is `current`, or `None` when it
/// names nothing (Lambda: `ResourceNotFoundException`).
pub(crate) fn resolve(qualifier: Option<&str>, current: u32) -> Option<Resolved> {
    match qualifier {
        None | Some("$LATEST") => Some(Resolved::Latest),
        Some(q) if q == fnkit_spec::names::ALIAS => Some(Resolved::Version(current)),
        Some(q) if q == current.to_string() => Some(Resolved::Version(current)),
        Some(_) => None,
    }
}

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
    fn the_alias_and_the_current_number_name_the_running_build() {
        assert_eq!(resolve(None, 3), Some(Resolved::Latest));
        assert_eq!(resolve(Some("$LATEST"), 3), Some(Resolved::Latest));
        assert_eq!(resolve(Some("live"), 3), Some(Resolved::Version(3)));
        assert_eq!(resolve(Some("3"), 3), Some(Resolved::Version(3)));
        assert_eq!(resolve(Some("2"), 3), None, "an older build is gone");
        assert_eq!(resolve(Some("beta"), 3), None);
        assert_eq!(Resolved::Version(3).executed(), "3");
    }

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

    #[test]
    fn function_names_and_qualifiers_from_arns() {
        let t = |raw: &str| function_target(raw);
        assert_eq!(t("hello"), ("hello".to_owned(), None));
        assert_eq!(
            t("arn%3Aaws%3Alambda%3Aus-east-1%3A123%3Afunction%3Ahello"),
            ("hello".to_owned(), None)
        );
        assert_eq!(
            t("arn:aws:lambda:us-east-1:123:function:hello:$LATEST"),
            ("hello".to_owned(), Some("$LATEST".to_owned()))
        );
        assert_eq!(t("123:function:hello"), ("hello".to_owned(), None));
        assert_eq!(
            t("123:function:hello:7"),
            ("hello".to_owned(), Some("7".to_owned()))
        );
        assert_eq!(
            t("hello:live"),
            ("hello".to_owned(), Some("live".to_owned()))
        );
    }
}

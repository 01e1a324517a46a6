//! The state directory at start-up: what to tell a first-time user, and the database's check.
//! Before anything opens `fnkit.db`, SQLite's `quick_check` runs on it. A file emptied to 0 bytes,
//! or one SQLite finds damaged, would otherwise be taken as a new database: the bucket index
//! gone, every object in the buckets would fire its storage event again, and the damage would go
//! unnoticed. A damaged file is moved aside, never deleted, and the log says what was found.

use std::path::{Path, PathBuf};

use rusqlite::OpenFlags;

use crate::db::DbError;
use crate::observe::logs::Logs;

/// What the check found.
#[derive(Debug, PartialEq)]
pub(crate) enum Found {
    /// No database yet.
    Fresh,
    /// `quick_check` said `ok`.
    Sound,
    /// The file was there, with 0 bytes.
    Emptied,
    /// SQLite could not read it, or `quick_check` found damage; the file (and its `-wal` and
    /// `-shm`) now has `kept` as its name.
    Damaged { report: String, kept: PathBuf },
}

impl Found {
    /// Whether what the database knew of the buckets is lost, so the start-up scan must index
    /// the objects it finds without firing their events again.
    pub fn index_lost(&self) -> bool {
        matches!(self, Found::Emptied | Found::Damaged { .. })
    }

    /// What to log, if anything.
    pub fn message(&self, db: &Path) -> Option<String> {
        let lost = "its ledger, queued messages and durable executions are lost, and the buckets' objects are indexed again without firing their events";
        match self {
            Found::Fresh | Found::Sound => None,
            Found::Emptied => Some(format!(
                "fnkit-local: the database {} was empty (0 bytes): {lost}",
                db.display()
            )),
            Found::Damaged { report, kept } => Some(format!(
                "fnkit-local: the database {} is damaged ({report}); it was moved to {} and a new one started: {lost}",
                db.display(),
                kept.display()
            )),
        }
    }
}

/// Before the state directory is used: tells a first-time user where state lives, checks the
/// database and says what was found. Returns whether the buckets' index was lost (see
/// [`Found::index_lost`]).
pub(crate) fn prepare(state_dir: &Path, logs: &Logs) -> Result<bool, DbError> {
    if !state_dir.exists() {
        logs.info(&first_use_hint(state_dir));
    }
    let db = state_dir.join("fnkit.db");
    let found = check(&db).map_err(|source| DbError::Check {
        path: db.clone(),
        source,
    })?;
    if let Some(message) = found.message(&db) {
        logs.info(&message);
    }
    Ok(found.index_lost())
}

/// Checks `db` (the state directory's `fnkit.db`) before it is opened. Blocking: it reads the
/// whole file (`quick_check` is linear in its size), at start-up only.
pub(crate) fn check(db: &Path) -> std::io::Result<Found> {
    let size = match std::fs::metadata(db) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Fresh),
        Err(e) => return Err(e),
    };
    if size == 0 {
        return Ok(Found::Emptied);
    }
    let report = match quick_check(db) {
        Ok(report) if report == "ok" => return Ok(Found::Sound),
        Ok(report) => report,
        // Only SQLite's "this is damaged" moves a file aside; a locked, unreadable or full
        // database is an error to report, never a reason to set its data aside.
        Err(rusqlite::Error::SqliteFailure(e, message))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            ) =>
        {
            message.unwrap_or_else(|| e.to_string())
        }
        Err(e) => return Err(std::io::Error::other(e)),
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
    let kept = with_suffix(db, &format!(".damaged-{stamp}"));
    // The main file first: if that fails, its journal stays beside it.
    std::fs::rename(db, &kept)?;
    for part in ["-wal", "-shm"] {
        let from = with_suffix(db, part);
        if from.exists() {
            std::fs::rename(&from, with_suffix(&kept, part))?;
        }
    }
    Ok(Found::Damaged { report, kept })
}

/// SQLite's `quick_check`: `ok`, or its first findings joined.
fn quick_check(db: &Path) -> rusqlite::Result<String> {
    // Read-write, as a reader of a WAL database must be able to create its `-shm`.
    let conn = rusqlite::Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mut statement = conn.prepare("PRAGMA quick_check(5)")?;
    let rows: Vec<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows.join("; "))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Said once, when the state directory is created: where state lives, and to keep it out of
/// version control (unless `.gitignore` already names it).
pub(crate) fn first_use_hint(state_dir: &Path) -> String {
    let shown = std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.to_owned());
    let mut hint = format!(
        "fnkit-local: keeping state in {} (the ledger, queues and buckets)",
        shown.display()
    );
    let name = state_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(".fnkit");
    let ignored = std::fs::read_to_string(".gitignore")
        .is_ok_and(|g| g.lines().any(|l| l.trim().trim_matches('/') == name));
    if state_dir.is_relative() && !ignored {
        hint.push_str(&format!("; add `{name}/` to your .gitignore"));
    }
    hint
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fnkit-state-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_sound_database_passes_and_none_is_fresh() {
        let dir = dir();
        let db = dir.join("fnkit.db");
        assert_eq!(check(&db).unwrap(), Found::Fresh);
        let conn = crate::db::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        drop(conn);
        assert_eq!(check(&db).unwrap(), Found::Sound);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_emptied_or_garbled_database_is_reported_and_a_garbled_one_kept() {
        let dir = dir();
        let db = dir.join("fnkit.db");
        std::fs::write(&db, b"").unwrap();
        let emptied = check(&db).unwrap();
        assert_eq!(emptied, Found::Emptied);
        assert!(emptied.index_lost());
        assert!(emptied.message(&db).unwrap().contains("0 bytes"));
        std::fs::write(&db, vec![0x42; 8192]).unwrap();
        let Found::Damaged { report, kept } = check(&db).unwrap() else {
            panic!("a garbled file passed");
        };
        assert!(report.contains("not a database"), "{report}");
        assert!(!db.exists());
        assert_eq!(std::fs::read(&kept).unwrap(), vec![0x42; 8192]);
        let _ = std::fs::remove_dir_all(dir);
    }
}

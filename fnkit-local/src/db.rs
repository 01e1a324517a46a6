//! The one place that opens the emulator's SQLite database (`<state-dir>/fnkit.db`) with its
//! pragmas, and the thread that owns a connection so async code never touches SQLite itself.
//!
//! SQLite calls block (on the disk, and on the 10 s busy timeout when another connection holds
//! the write lock), so nothing on the runtime may make them. A [`Db`] is a connection living on
//! its own thread; async callers send it a closure over a bounded channel and await the answer,
//! so a slow disk delays only the callers that wait for it, never the runtime that enforces
//! timeouts. The ledger keeps its own batching writer thread (see `ledger.rs`) on a connection
//! opened here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The state directory cannot be created.
    #[error("cannot create the state directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The start-up check could not read the database, or move a damaged one aside.
    #[error("cannot check the database {path}: {source}")]
    Check {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The thread that owns the connection is gone (the emulator is stopping).
    #[error("the database thread of {0} stopped")]
    Gone(PathBuf),
}

/// How long a connection waits for another one's write lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Calls waiting for the connection's thread; senders wait (asynchronously) beyond this.
const QUEUE: usize = 256;

/// The database file of a state directory, created with the directory if need be.
pub(crate) fn file(dir: &Path) -> Result<PathBuf, DbError> {
    std::fs::create_dir_all(dir).map_err(|source| DbError::Dir {
        path: dir.to_owned(),
        source,
    })?;
    Ok(dir.join("fnkit.db"))
}

/// Opens `path` (`:memory:` for a private in-memory database) with the emulator's pragmas: WAL,
/// so readers never wait for the writer; `synchronous = NORMAL`, durable at each checkpoint and
/// consistent after a crash; a busy timeout, as several connections share the file.
pub(crate) fn open(path: &Path) -> Result<Connection, DbError> {
    let err = |source| DbError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open(path).map_err(err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err)?;
    Ok(conn)
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A connection on its own thread.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
}

impl Db {
    /// Opens `path`, applies `schema`, and starts the connection's thread. The thread ends when
    /// the last `Db` handle is dropped.
    pub fn start(path: &Path, schema: &str, thread: &str) -> Result<Db, DbError> {
        let mut conn = open(path)?;
        conn.execute_batch(schema)
            .map_err(|source| DbError::Sqlite {
                path: path.to_owned(),
                source,
            })?;
        let (jobs, mut rx) = mpsc::channel::<Job>(QUEUE);
        std::thread::Builder::new()
            .name(thread.to_owned())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    job(&mut conn);
                }
            })
            .map_err(|source| DbError::Dir {
                path: path.to_owned(),
                source,
            })?;
        Ok(Db {
            path: path.to_owned(),
            jobs,
        })
    }

    /// Runs `f` on the connection's thread and returns its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = tx.send(f(conn));
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| DbError::Gone(self.path.clone()))?;
        rx.await
            .map_err(|_| DbError::Gone(self.path.clone()))?
            .map_err(|source| DbError::Sqlite {
                path: self.path.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_run_on_the_connection_thread_in_order() {
        let db = Db::start(
            Path::new(":memory:"),
            "CREATE TABLE t (n INTEGER);",
            "test-db",
        )
        .unwrap();
        for n in 0..10 {
            db.call(move |c| c.execute("INSERT INTO t VALUES (?1)", [n]))
                .await
                .unwrap();
        }
        let on_thread = db
            .call(|_| Ok(std::thread::current().name().map(str::to_owned)))
            .await
            .unwrap();
        assert_eq!(on_thread.as_deref(), Some("test-db"));
        let sum: i64 = db
            .call(|c| c.query_row("SELECT SUM(n) FROM t", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(sum, 45);
        let err = db
            .call(|c| c.execute("INSERT INTO nope VALUES (1)", []))
            .await;
        assert!(matches!(err, Err(DbError::Sqlite { .. })));
    }
}

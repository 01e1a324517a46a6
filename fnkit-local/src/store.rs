//! The durable work store: queue messages, accepted asynchronous invocations and the index of
//! bucket objects, in the emulator's SQLite database. Everything the emulator accepts is written
//! here (committed) before it is acknowledged, and removed only once it was handled, so a crash
//! of the emulator loses nothing: on start-up, work that was in flight is made ready again
//! (delivery is at least once, as on AWS).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::ledger::LedgerError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,           -- 'queue' or 'async'
    target        TEXT NOT NULL,           -- the queue, or the function of an async invocation
    body          BLOB NOT NULL,
    attributes    TEXT NOT NULL DEFAULT '{}',
    trigger       TEXT NOT NULL DEFAULT 'event',
    state         TEXT NOT NULL,           -- 'ready', 'inflight' or 'dead'
    visible_at    INTEGER NOT NULL,        -- Unix epoch ms
    receive_count INTEGER NOT NULL DEFAULT 0,
    sent_at       INTEGER NOT NULL,
    last_error    TEXT
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (kind, target, state, visible_at, seq);
CREATE TABLE IF NOT EXISTS objects (
    bucket   TEXT NOT NULL,
    key      TEXT NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    etag     TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
);
";

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// A queue message; `target` is the queue.
    Queue,
    /// An accepted asynchronous invocation; `target` is the function.
    Async,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Queue => "queue",
            Kind::Async => "async",
        }
    }
}

/// A message to store.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    pub id: String,
    pub kind: Kind,
    pub target: String,
    pub body: Vec<u8>,
    pub attributes: serde_json::Value,
    pub trigger: String,
    pub delay_ms: u64,
}

/// A stored message.
#[derive(Debug, Clone, Serialize)]
pub struct StoredMessage {
    /// The message id (the request id of an async invocation).
    pub id: String,
    /// The queue or function.
    pub target: String,
    /// The body, as text.
    pub body: String,
    /// Message attributes.
    pub attributes: serde_json::Value,
    /// What produced it (`event`, `storage`, `schedule`, `queue`).
    pub trigger: String,
    /// `ready`, `inflight` or `dead`.
    pub state: String,
    /// Deliveries so far.
    pub receive_count: u32,
    /// When it was accepted, Unix epoch ms.
    pub sent_at: i64,
    /// Why the last delivery failed.
    pub last_error: Option<String>,
}

/// Counts of one queue.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct QueueCounts {
    /// Messages waiting to be delivered (visible now or delayed).
    pub depth: u64,
    /// Of those, delayed (not visible yet).
    pub delayed: u64,
    /// Messages being delivered now.
    pub in_flight: u64,
}

/// An object's entry in the bucket index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectMeta {
    pub size: u64,
    pub mtime_ns: i64,
    pub etag: String,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}

/// The store.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens `<dir>/fnkit.db` (the ledger's file; different tables).
    pub fn open(dir: &Path) -> Result<Store, LedgerError> {
        std::fs::create_dir_all(dir).map_err(|source| LedgerError::Dir {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("fnkit.db");
        let err = |source| LedgerError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Store {
            path,
            conn: Mutex::new(conn),
        })
    }

    fn err(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Makes work that was in flight when the emulator stopped ready again; returns how much.
    pub(crate) fn recover(&self) -> Result<usize, LedgerError> {
        let conn = self.conn.lock().unwrap();
        conn.execute(
            "UPDATE messages SET state = 'ready' WHERE state = 'inflight'",
            [],
        )
        .map_err(|e| self.err(e))
    }

    /// Stores messages in one transaction; they are durable when this returns.
    pub(crate) fn enqueue(&self, messages: &[NewMessage]) -> Result<(), LedgerError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        insert(&tx, messages).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Takes up to `limit` visible messages of `target` in order, marking them in flight and
    /// counting the delivery.
    pub(crate) fn claim(
        &self,
        kind: Kind,
        target: &str,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, LedgerError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let claimed = {
            let mut select = tx
                .prepare_cached(
                    "SELECT id, target, body, attributes, trigger, state, receive_count, sent_at, last_error FROM messages
                     WHERE kind = ?1 AND target = ?2 AND state = 'ready' AND visible_at <= ?3 ORDER BY seq LIMIT ?4",
                )
                .map_err(|e| self.err(e))?;
            let rows = select
                .query_map(
                    params![kind.as_str(), target, now_ms(), limit],
                    row_to_message,
                )
                .map_err(|e| self.err(e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.err(e))?;
            let mut update = tx
                .prepare_cached("UPDATE messages SET state = 'inflight', receive_count = receive_count + 1 WHERE id = ?1")
                .map_err(|e| self.err(e))?;
            for m in &rows {
                update.execute(params![m.id]).map_err(|e| self.err(e))?;
            }
            rows.into_iter()
                .map(|mut m| {
                    m.receive_count += 1;
                    m.state = "inflight".to_owned();
                    m
                })
                .collect()
        };
        tx.commit().map_err(|e| self.err(e))?;
        Ok(claimed)
    }

    /// When the next ready message of `target` becomes visible, if there is one.
    pub(crate) fn next_visible(
        &self,
        kind: Kind,
        target: &str,
    ) -> Result<Option<i64>, LedgerError> {
        let conn = self.conn.lock().unwrap();
        conn.query_row(
            "SELECT MIN(visible_at) FROM messages WHERE kind = ?1 AND target = ?2 AND state = 'ready'",
            params![kind.as_str(), target],
            |r| r.get::<_, Option<i64>>(0),
        )
        .map_err(|e| self.err(e))
    }

    /// Removes handled messages.
    pub(crate) fn complete(&self, ids: &[String]) -> Result<(), LedgerError> {
        self.each(ids, "DELETE FROM messages WHERE id = ?1")
    }

    /// Makes messages ready again after `delay_ms`, recording why they failed.
    pub(crate) fn retry(
        &self,
        ids: &[String],
        delay_ms: u64,
        error: &str,
    ) -> Result<(), LedgerError> {
        let at = now_ms() + delay_ms as i64;
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        for id in ids {
            tx.execute("UPDATE messages SET state = 'ready', visible_at = ?2, last_error = ?3 WHERE id = ?1", params![id, at, error])
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Moves queue messages to the dead-letter queue `dlq` (a queue of its own).
    pub(crate) fn to_dead_letter_queue(
        &self,
        ids: &[String],
        dlq: &str,
        error: &str,
    ) -> Result<(), LedgerError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        for id in ids {
            tx.execute(
                "UPDATE messages SET target = ?2, state = 'ready', visible_at = ?3, last_error = ?4 WHERE id = ?1",
                params![id, dlq, now_ms(), error],
            )
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Marks async invocations dead (out of retries).
    pub(crate) fn bury(&self, ids: &[String], error: &str) -> Result<(), LedgerError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        for id in ids {
            tx.execute(
                "UPDATE messages SET state = 'dead', last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn each(&self, ids: &[String], sql: &str) -> Result<(), LedgerError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut stmt = tx.prepare_cached(sql).map_err(|e| self.err(e))?;
            for id in ids {
                stmt.execute(params![id]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Counts of a queue.
    pub fn queue_counts(&self, queue: &str) -> Result<QueueCounts, LedgerError> {
        let conn = self.conn.lock().unwrap();
        conn.query_row(
            "SELECT COALESCE(SUM(state = 'ready'), 0), COALESCE(SUM(state = 'ready' AND visible_at > ?2), 0),
                    COALESCE(SUM(state = 'inflight'), 0)
             FROM messages WHERE kind = 'queue' AND target = ?1",
            params![queue, now_ms()],
            |r| Ok(QueueCounts { depth: r.get::<_, i64>(0)? as u64, delayed: r.get::<_, i64>(1)? as u64, in_flight: r.get::<_, i64>(2)? as u64 }),
        )
        .map_err(|e| self.err(e))
    }

    /// Messages of a queue, or async invocations of a function in a state.
    pub fn list(
        &self,
        kind_queue: bool,
        target: &str,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, LedgerError> {
        let kind = if kind_queue { Kind::Queue } else { Kind::Async };
        let conn = self.conn.lock().unwrap();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, target, body, attributes, trigger, state, receive_count, sent_at, last_error FROM messages
                 WHERE kind = ?1 AND target = ?2 AND (?3 IS NULL OR state = ?3) ORDER BY seq LIMIT ?4",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![kind.as_str(), target, state, limit], row_to_message)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e));
        rows
    }

    /// Moves every message of the dead-letter queue `dlq` back to `queue`, delivery counts reset.
    pub(crate) fn redrive_queue(&self, dlq: &str, queue: &str) -> Result<usize, LedgerError> {
        let conn = self.conn.lock().unwrap();
        conn.execute(
            "UPDATE messages SET target = ?2, receive_count = 0, visible_at = ?3, last_error = NULL
             WHERE kind = 'queue' AND target = ?1 AND state = 'ready'",
            params![dlq, queue, now_ms()],
        )
        .map_err(|e| self.err(e))
    }

    /// Makes every dead async invocation of `function` ready again, attempts reset.
    pub(crate) fn redrive_async(&self, function: &str) -> Result<usize, LedgerError> {
        let conn = self.conn.lock().unwrap();
        conn.execute(
            "UPDATE messages SET state = 'ready', receive_count = 0, visible_at = ?2
             WHERE kind = 'async' AND target = ?1 AND state = 'dead'",
            params![function, now_ms()],
        )
        .map_err(|e| self.err(e))
    }

    /// The index entry of an object.
    pub(crate) fn object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectMeta>, LedgerError> {
        let conn = self.conn.lock().unwrap();
        conn.query_row(
            "SELECT size, mtime_ns, etag FROM objects WHERE bucket = ?1 AND key = ?2",
            params![bucket, key],
            |r| {
                Ok(ObjectMeta {
                    size: r.get::<_, i64>(0)? as u64,
                    mtime_ns: r.get(1)?,
                    etag: r.get(2)?,
                })
            },
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    /// Every indexed key of a bucket.
    pub(crate) fn object_keys(&self, bucket: &str) -> Result<Vec<String>, LedgerError> {
        let conn = self.conn.lock().unwrap();
        let mut stmt = conn
            .prepare_cached("SELECT key FROM objects WHERE bucket = ?1")
            .map_err(|e| self.err(e))?;
        let keys = stmt
            .query_map(params![bucket], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| self.err(e));
        keys
    }

    /// Every bucket in the index.
    pub(crate) fn buckets(&self) -> Result<Vec<String>, LedgerError> {
        let conn = self.conn.lock().unwrap();
        let mut stmt = conn
            .prepare_cached("SELECT DISTINCT bucket FROM objects")
            .map_err(|e| self.err(e))?;
        let buckets = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| self.err(e));
        buckets
    }

    /// Records an object's new state (`None`: deleted) and the events it fires, atomically.
    pub(crate) fn object_changed(
        &self,
        bucket: &str,
        key: &str,
        meta: Option<&ObjectMeta>,
        events: &[NewMessage],
    ) -> Result<(), LedgerError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        match meta {
            Some(m) => tx.execute(
                "INSERT INTO objects (bucket, key, size, mtime_ns, etag) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (bucket, key) DO UPDATE SET size = ?3, mtime_ns = ?4, etag = ?5",
                params![bucket, key, m.size as i64, m.mtime_ns, m.etag],
            ),
            None => tx.execute("DELETE FROM objects WHERE bucket = ?1 AND key = ?2", params![bucket, key]),
        }
        .map_err(|e| self.err(e))?;
        insert(&tx, events).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }
}

fn insert(tx: &rusqlite::Transaction<'_>, messages: &[NewMessage]) -> rusqlite::Result<()> {
    let now = now_ms();
    let mut stmt = tx.prepare_cached(
        "INSERT INTO messages (id, kind, target, body, attributes, trigger, state, visible_at, receive_count, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'ready', ?7, 0, ?8)",
    )?;
    for m in messages {
        stmt.execute(params![
            m.id,
            m.kind.as_str(),
            m.target,
            m.body,
            m.attributes.to_string(),
            m.trigger,
            now + m.delay_ms as i64,
            now
        ])?;
    }
    Ok(())
}

fn row_to_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMessage> {
    let body: Vec<u8> = r.get(2)?;
    let attributes: String = r.get(3)?;
    Ok(StoredMessage {
        id: r.get(0)?,
        target: r.get(1)?,
        body: String::from_utf8_lossy(&body).into_owned(),
        attributes: serde_json::from_str(&attributes).unwrap_or_default(),
        trigger: r.get(4)?,
        state: r.get(5)?,
        receive_count: r.get::<_, i64>(6)? as u32,
        sent_at: r.get(7)?,
        last_error: r.get(8)?,
    })
}

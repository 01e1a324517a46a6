//! The durable work store: queue messages, accepted asynchronous invocations and the index of
//! bucket objects, in the emulator's SQLite database. Everything the emulator accepts is written
//! here (committed) before it is acknowledged, and removed only once it was handled, so a crash
//! of the emulator loses nothing: on start-up, work that was in flight is made ready again
//! (delivery is at least once, as on AWS).
//!
//! A message's life: `ready` (visible at `visible_at`) → [`Store::claim`] → `inflight` →
//! [`Store::complete`] (deleted), [`Store::retry`] (ready again later), or, out of attempts,
//! [`Store::to_dead_letter_queue`] (a queue message moves to `<queue>-dlq`) or [`Store::bury`]
//! (an async invocation becomes `dead`); redrives make those ready again with counts reset.
//!
//! Every call runs on the store's own connection thread ([`Db`]), never on the runtime.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::db::{Db, DbError};

mod batch;
mod objects;
mod pull;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,           -- 'queue' or 'async'
    target        TEXT NOT NULL,           -- the queue, or the function of an async invocation
    body          BLOB NOT NULL,
    attributes    TEXT NOT NULL DEFAULT '{}', -- name: string (SQS system attribute) or {DataType, StringValue | BinaryValue} (message attribute)
    trigger       TEXT NOT NULL DEFAULT 'event',
    state         TEXT NOT NULL,           -- 'ready', 'inflight' or 'dead'
    visible_at    INTEGER NOT NULL,        -- Unix epoch ms
    receive_count INTEGER NOT NULL DEFAULT 0,
    sent_at       INTEGER NOT NULL,
    last_error    TEXT
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (kind, target, state, visible_at, seq);
CREATE TABLE IF NOT EXISTS queues (
    name       TEXT PRIMARY KEY,          -- made with the SQS API's CreateQueue
    attributes TEXT NOT NULL DEFAULT '{}',
    created_ms INTEGER NOT NULL
);
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

/// The store: a connection on its own thread.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    db: Db,
}

/// The system attribute stored on a queue message's first receive (the other system attributes
/// are derived from its columns).
pub(crate) const FIRST_RECEIVE: &str = "ApproximateFirstReceiveTimestamp";

pub(super) const COLUMNS: &str =
    "id, target, body, attributes, trigger, state, receive_count, sent_at, last_error";

impl Store {
    /// Opens the store in `<dir>/fnkit.db` (the ledger's file; different tables).
    pub fn open(dir: &Path) -> Result<Store, DbError> {
        let path = crate::db::file(dir)?;
        Ok(Store {
            db: Db::start(&path, SCHEMA, "fnkit-store")?,
        })
    }

    /// A private in-memory store, for tests.
    #[cfg(test)]
    pub fn in_memory() -> Store {
        Store {
            db: Db::start(Path::new(":memory:"), SCHEMA, "fnkit-store").expect("in-memory store"),
        }
    }

    /// Makes work that was in flight when the emulator stopped ready again; returns how much.
    pub async fn recover(&self) -> Result<usize, DbError> {
        self.db
            .call(|c| {
                c.execute(
                    "UPDATE messages SET state = 'ready' WHERE state = 'inflight'",
                    [],
                )
            })
            .await
    }

    /// Stores messages in one transaction; they are durable when this returns.
    pub async fn enqueue(&self, messages: Vec<NewMessage>) -> Result<(), DbError> {
        self.db
            .call(move |c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                insert(&tx, &messages)?;
                tx.commit()
            })
            .await
    }

    /// Takes up to `limit` visible messages of `target` in order, and no more than `max_bytes` of
    /// bodies (but always the first), marking them in flight and counting the delivery.
    pub async fn claim(
        &self,
        kind: Kind,
        target: &str,
        limit: u32,
        max_bytes: usize,
    ) -> Result<Vec<StoredMessage>, DbError> {
        let target = target.to_owned();
        self.db
            .call(move |c| take(c, kind, &target, limit, None, max_bytes))
            .await
    }

    /// When the next ready message of `target` becomes visible, if there is one.
    pub async fn next_visible(&self, kind: Kind, target: &str) -> Result<Option<i64>, DbError> {
        let target = target.to_owned();
        self.db
            .call(move |c| {
                c.query_row(
                    "SELECT MIN(visible_at) FROM messages WHERE kind = ?1 AND target = ?2 AND state = 'ready'",
                    params![kind.as_str(), target],
                    |r| r.get::<_, Option<i64>>(0),
                )
            })
            .await
    }

    /// Puts claimed messages back, undelivered: ready again at once, their receive uncounted.
    pub async fn release(&self, ids: Vec<String>) -> Result<(), DbError> {
        let sql = "UPDATE messages SET state = 'ready', receive_count = MAX(receive_count - 1, 0)
                   WHERE id = ?1 AND state = 'inflight'";
        self.each(ids, sql, Vec::new()).await
    }

    /// Removes handled messages.
    pub async fn complete(&self, ids: Vec<String>) -> Result<(), DbError> {
        self.each(ids, "DELETE FROM messages WHERE id = ?1", Vec::new())
            .await
    }

    /// Makes messages ready again after `delay_ms`, recording why they failed.
    pub async fn retry(&self, ids: Vec<String>, delay_ms: u64, error: &str) -> Result<(), DbError> {
        let at = now_ms() + delay_ms as i64;
        let sql =
            "UPDATE messages SET state = 'ready', visible_at = ?2, last_error = ?3 WHERE id = ?1";
        self.each(ids, sql, vec![at.into(), error.to_owned().into()])
            .await
    }

    /// Moves queue messages to the dead-letter queue `dlq` (a queue of its own).
    pub async fn to_dead_letter_queue(
        &self,
        ids: Vec<String>,
        dlq: &str,
        error: &str,
    ) -> Result<(), DbError> {
        let sql = "UPDATE messages SET target = ?2, state = 'ready', visible_at = ?3, last_error = ?4 WHERE id = ?1";
        let extra = vec![
            dlq.to_owned().into(),
            now_ms().into(),
            error.to_owned().into(),
        ];
        self.each(ids, sql, extra).await
    }

    /// Marks async invocations dead (out of retries).
    pub async fn bury(&self, ids: Vec<String>, error: &str) -> Result<(), DbError> {
        let sql = "UPDATE messages SET state = 'dead', last_error = ?2 WHERE id = ?1";
        self.each(ids, sql, vec![error.to_owned().into()]).await
    }

    /// Runs `sql` once per id (as `?1`, with `extra` as `?2`...) in one transaction.
    async fn each(
        &self,
        ids: Vec<String>,
        sql: &'static str,
        extra: Vec<rusqlite::types::Value>,
    ) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.db
            .call(move |c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                {
                    let mut stmt = tx.prepare_cached(sql)?;
                    for id in ids {
                        let mut values: Vec<rusqlite::types::Value> = vec![id.into()];
                        values.extend(extra.iter().cloned());
                        stmt.execute(rusqlite::params_from_iter(values))?;
                    }
                }
                tx.commit()
            })
            .await
    }

    /// Counts of a queue.
    pub async fn queue_counts(&self, queue: &str) -> Result<QueueCounts, DbError> {
        let queue = queue.to_owned();
        self.db
            .call(move |c| {
                c.query_row(
                    "SELECT COALESCE(SUM(state = 'ready'), 0), COALESCE(SUM(state = 'ready' AND visible_at > ?2), 0),
                            COALESCE(SUM(state = 'inflight'), 0)
                     FROM messages WHERE kind = 'queue' AND target = ?1",
                    params![queue, now_ms()],
                    |r| {
                        Ok(QueueCounts {
                            depth: r.get::<_, i64>(0)? as u64,
                            delayed: r.get::<_, i64>(1)? as u64,
                            in_flight: r.get::<_, i64>(2)? as u64,
                        })
                    },
                )
            })
            .await
    }

    /// Messages of a queue, or async invocations of a function, optionally in one state.
    pub async fn list(
        &self,
        kind: Kind,
        target: &str,
        state: Option<&'static str>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, DbError> {
        let target = target.to_owned();
        self.db
            .call(move |c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM messages
                     WHERE kind = ?1 AND target = ?2 AND (?3 IS NULL OR state = ?3) ORDER BY seq LIMIT ?4"
                ))?;
                let rows = stmt
                    .query_map(params![kind.as_str(), target, state, limit], row_to_message)?
                    .collect::<Result<Vec<_>, _>>();
                rows
            })
            .await
    }

    /// Moves every message of the dead-letter queue `dlq` back to `queue`, delivery counts reset.
    pub async fn redrive_queue(&self, dlq: &str, queue: &str) -> Result<usize, DbError> {
        let (dlq, queue) = (dlq.to_owned(), queue.to_owned());
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE messages SET target = ?2, receive_count = 0, visible_at = ?3, last_error = NULL
                     WHERE kind = 'queue' AND target = ?1 AND state = 'ready'",
                    params![dlq, queue, now_ms()],
                )
            })
            .await
    }

    /// Makes every dead async invocation of `function` ready again, attempts reset.
    pub async fn redrive_async(&self, function: &str) -> Result<usize, DbError> {
        let function = function.to_owned();
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE messages SET state = 'ready', receive_count = 0, visible_at = ?2
                     WHERE kind = 'async' AND target = ?1 AND state = 'dead'",
                    params![function, now_ms()],
                )
            })
            .await
    }
}

/// Takes up to `limit` visible messages of `target` in order, in flight with one more receive.
/// A delivery loop takes `ready` ones (`visibility_ms` `None`: a loop finishes each it takes);
/// an SQS ReceiveMessage (`Some`) also takes received ones whose visibility timeout is over,
/// and hides what it takes for `visibility_ms`.
pub(super) fn take(
    c: &mut Connection,
    kind: Kind,
    target: &str,
    limit: u32,
    visibility_ms: Option<u64>,
    max_bytes: usize,
) -> rusqlite::Result<Vec<StoredMessage>> {
    // IMMEDIATE: this reads, then writes. A deferred transaction that another connection (the
    // ledger's) wrote past in between fails at once with "database is locked" (SQLite's
    // SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out); taking the write lock first waits.
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now = now_ms();
    let states = match visibility_ms {
        None => "state = 'ready'",
        Some(_) => "state IN ('ready', 'inflight')",
    };
    let rows = {
        let mut select = tx.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE kind = ?1 AND target = ?2 AND {states}
             AND visible_at <= ?3 ORDER BY seq LIMIT ?4"
        ))?;
        let mut rows = select
            .query_map(params![kind.as_str(), target, now, limit], row_to_message)?
            .collect::<Result<Vec<_>, _>>()?;
        let mut bytes = 0;
        let fits = rows
            .iter()
            .take_while(|m| {
                bytes += batch::record_bytes(m);
                bytes <= max_bytes
            })
            .count();
        rows.truncate(fits.max(1));
        let mut update = tx.prepare_cached(
            "UPDATE messages SET state = 'inflight', receive_count = receive_count + 1,
             visible_at = COALESCE(?2, visible_at), attributes = ?3 WHERE id = ?1",
        )?;
        let hidden_until = visibility_ms.map(|v| now + v as i64);
        for m in &mut rows {
            if kind == Kind::Queue && m.receive_count == 0 {
                // SQS stamps a message's first receive once; redeliveries keep it.
                if !m.attributes.is_object() {
                    m.attributes = serde_json::json!({});
                }
                m.attributes[FIRST_RECEIVE] = now.to_string().into();
            }
            update.execute(params![m.id, hidden_until, m.attributes.to_string()])?;
        }
        rows
    };
    tx.commit()?;
    Ok(rows
        .into_iter()
        .map(|mut m| {
            m.receive_count += 1;
            m.state = "inflight".to_owned();
            m
        })
        .collect())
}

pub(super) fn insert(tx: &Connection, messages: &[NewMessage]) -> rusqlite::Result<()> {
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

pub(super) fn row_to_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMessage> {
    // A blob as the emulator writes it; text too, as a hand-written row (`sqlite3`) may hold.
    let body: Vec<u8> = match r.get_ref(2)? {
        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => t.to_vec(),
        _ => Vec::new(),
    };
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

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;

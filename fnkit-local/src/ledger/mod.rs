//! The ledger: one row per invocation in an SQLite database (`<state-dir>/fnkit.db`), so records
//! survive a restart and anyone can query them with `sqlite3`. Writes go through one writer
//! thread, batched in transactions, so the invocation path never waits for the disk (only, when
//! the disk falls far behind, for room in the bounded queue); reads flush it first, so a read sees
//! every invocation already answered. What each invocation was given and gave back is kept
//! beside its row (`exchanges.rs`).

mod exchanges;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::db::{self, DbError};
use crate::report::Record;
pub(crate) use exchanges::Exchange;
pub use exchanges::Recorded;
pub(crate) use exchanges::KEEP as KEPT_EXCHANGES;

/// The ledger's failures are the database's.
pub type LedgerError = DbError;

/// Records waiting for the writer; beyond this, invocations wait for the disk.
const QUEUE: usize = 4096;

enum Message {
    Record(Box<(Record, Option<Exchange>)>),
    Flush(oneshot::Sender<()>),
}

/// The ledger: a writer thread and a read connection.
#[derive(Clone)]
pub struct Ledger {
    path: PathBuf,
    writer: mpsc::Sender<Message>,
    reader: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS invocations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id    TEXT NOT NULL,
    function      TEXT NOT NULL,
    trigger       TEXT NOT NULL,
    start_ms      INTEGER NOT NULL,
    duration_ms   REAL NOT NULL,
    billed_ms     INTEGER NOT NULL,
    init_ms       REAL,
    memory_mb     INTEGER NOT NULL,
    max_memory_mb INTEGER NOT NULL,
    outcome       TEXT NOT NULL,
    error_type    TEXT,
    gb_seconds    REAL NOT NULL,
    cost_x86      REAL NOT NULL,
    cost_arm      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS invocations_function ON invocations (function, id);
CREATE INDEX IF NOT EXISTS invocations_request ON invocations (request_id, id);
";

impl Ledger {
    /// Opens (or creates) `<dir>/fnkit.db`.
    pub fn open(dir: &Path) -> Result<Ledger, LedgerError> {
        let path = db::file(dir)?;
        let write = db::open(&path)?;
        write
            .execute_batch(&format!("{SCHEMA}{}", exchanges::SCHEMA))
            .map_err(|source| DbError::Sqlite {
                path: path.clone(),
                source,
            })?;
        let reader = db::open(&path)?;
        let (writer, rx) = mpsc::channel(QUEUE);
        let thread_path = path.clone();
        thread::Builder::new()
            .name("fnkit-ledger".to_owned())
            .spawn(move || write_loop(write, rx, &thread_path))
            .map_err(|source| DbError::Dir {
                path: path.clone(),
                source,
            })?;
        Ok(Ledger {
            path,
            writer,
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues a record for writing.
    pub async fn record(&self, record: Record) {
        self.record_with(record, None).await;
    }

    /// Queues a record for writing, with what the invocation was given and gave back.
    pub(crate) async fn record_with(&self, record: Record, exchange: Option<Exchange>) {
        let message = Message::Record(Box::new((record, exchange)));
        let _ = self.writer.send(message).await;
    }

    /// Waits until every queued record is written. Blocks: call it off the runtime
    /// (`spawn_blocking`), as the readers below do.
    pub fn flush(&self) -> Result<(), LedgerError> {
        let (tx, rx) = oneshot::channel();
        let gone = || DbError::Gone(self.path.clone());
        self.writer
            .blocking_send(Message::Flush(tx))
            .map_err(|_| gone())?;
        rx.blocking_recv().map_err(|_| gone())
    }

    fn err(&self, source: rusqlite::Error) -> LedgerError {
        DbError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// The latest invocations, newest first, of one function or all.
    pub fn invocations(&self, function: Option<&str>, limit: u32) -> Result<Vec<Row>, LedgerError> {
        self.select(
            "WHERE (?1 IS NULL OR function = ?1) ORDER BY id DESC LIMIT ?2",
            params![function, limit],
        )
    }

    /// The invocations of `request_ids` (a durable execution's), oldest first.
    pub fn by_request_ids(&self, request_ids: &[String]) -> Result<Vec<Row>, LedgerError> {
        let ids = serde_json::to_string(request_ids).unwrap_or_default();
        self.select(
            "WHERE request_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
            params![ids],
        )
    }

    fn select(&self, filter: &str, params: impl rusqlite::Params) -> Result<Vec<Row>, LedgerError> {
        self.flush()?;
        let conn = self.reader.lock().unwrap();
        let sql = format!("SELECT {ROW_COLUMNS} FROM invocations {filter}");
        let mut stmt = conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map(params, read_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The newest invocation of `request_id`, with what it was given and gave back when that
    /// was recorded.
    pub fn recorded(&self, request_id: &str) -> Result<Option<Recorded>, LedgerError> {
        self.flush()?;
        let conn = self.reader.lock().unwrap();
        let mut stmt = conn
            .prepare_cached(&exchanges::by_request_id())
            .map_err(|e| self.err(e))?;
        stmt.query_row(params![request_id], exchanges::read)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Aggregates per function over the whole ledger.
    pub fn stats(&self) -> Result<Vec<Stats>, LedgerError> {
        self.flush()?;
        let conn = self.reader.lock().unwrap();
        let mut stmt = conn
            .prepare_cached(
                "SELECT function, COUNT(*),
                        SUM(outcome NOT IN ('ok', 'throttled')), SUM(outcome = 'throttled'),
                        SUM(init_ms IS NOT NULL), TOTAL(gb_seconds), TOTAL(cost_x86), TOTAL(cost_arm),
                        SUM(outcome != 'throttled')
                 FROM invocations GROUP BY function ORDER BY function",
            )
            .map_err(|e| self.err(e))?;
        let mut stats: Vec<Stats> = stmt
            .query_map([], |r| {
                Ok(Stats {
                    function: r.get(0)?,
                    invocations: r.get(1)?,
                    errors: r.get(2)?,
                    throttles: r.get(3)?,
                    cold_starts: r.get(4)?,
                    gb_seconds: r.get(5)?,
                    cost_x86: r.get(6)?,
                    cost_arm: r.get(7)?,
                    p50_ms: None,
                    p95_ms: None,
                    p99_ms: None,
                    projected_cost_per_million_x86: 0.0,
                    executed: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        drop(stmt);
        for s in &mut stats {
            let percentile = |p: f64| -> Result<Option<f64>, LedgerError> {
                if s.executed == 0 {
                    return Ok(None);
                }
                let offset = ((s.executed as f64 - 1.0) * p).round() as i64;
                conn.query_row(
                    "SELECT duration_ms FROM invocations WHERE function = ?1 AND outcome != 'throttled'
                     ORDER BY duration_ms LIMIT 1 OFFSET ?2",
                    params![s.function, offset],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.err(e))
            };
            s.p50_ms = percentile(0.50)?;
            s.p95_ms = percentile(0.95)?;
            s.p99_ms = percentile(0.99)?;
            if s.executed > 0 {
                s.projected_cost_per_million_x86 = s.cost_x86 / s.executed as f64 * 1_000_000.0;
            }
        }
        Ok(stats)
    }
}

/// The columns every read of the ledger selects, in [`read_row`]'s order.
const ROW_COLUMNS: &str =
    "request_id, function, trigger, start_ms, duration_ms, billed_ms, init_ms,
    memory_mb, max_memory_mb, outcome, error_type, gb_seconds, cost_x86, cost_arm";

/// A row of [`ROW_COLUMNS`].
fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        request_id: r.get(0)?,
        function: r.get(1)?,
        trigger: r.get(2)?,
        start_ms: r.get(3)?,
        duration_ms: r.get(4)?,
        billed_ms: r.get(5)?,
        init_ms: r.get(6)?,
        memory_mb: r.get(7)?,
        max_memory_mb: r.get(8)?,
        outcome: r.get(9)?,
        error_type: r.get(10)?,
        gb_seconds: r.get(11)?,
        cost_x86: r.get(12)?,
        cost_arm: r.get(13)?,
    })
}

/// How long the writer gathers records into one transaction once the first arrives.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);

fn write_loop(mut conn: Connection, mut rx: mpsc::Receiver<Message>, path: &Path) {
    let mut pending: Vec<Box<(Record, Option<Exchange>)>> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let take = |m: Message,
                pending: &mut Vec<Box<(Record, Option<Exchange>)>>,
                waiting: &mut Vec<oneshot::Sender<()>>| match m {
        Message::Record(r) => pending.push(r),
        Message::Flush(tx) => waiting.push(tx),
    };
    while let Some(first) = rx.blocking_recv() {
        let flush_now = matches!(first, Message::Flush(_));
        take(first, &mut pending, &mut waiting);
        // Let records gather for a moment: one wake-up and one transaction per window instead of
        // one per invocation. A reader waiting for a flush is answered at once.
        if !flush_now {
            thread::sleep(BATCH_WINDOW);
        }
        while let Ok(m) = rx.try_recv() {
            take(m, &mut pending, &mut waiting);
        }
        if let Err(e) = write(&mut conn, &pending) {
            eprintln!(
                "fnkit-local: could not write {} record(s) to {}: {e}",
                pending.len(),
                path.display()
            );
        }
        pending.clear();
        for tx in waiting.drain(..) {
            let _ = tx.send(());
        }
    }
}

fn write(
    conn: &mut Connection,
    records: &[Box<(Record, Option<Exchange>)>],
) -> rusqlite::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO invocations (request_id, function, trigger, start_ms, duration_ms, billed_ms, init_ms,
                 memory_mb, max_memory_mb, outcome, error_type, gb_seconds, cost_x86, cost_arm)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        for entry in records {
            let (r, exchange) = &**entry;
            stmt.execute(params![
                r.request_id,
                r.function,
                r.trigger,
                r.start_ms,
                r.duration_ms,
                r.billed_ms as i64,
                r.init_ms,
                r.memory_mb,
                r.max_memory_mb,
                r.outcome.as_str(),
                r.error_type,
                r.gb_seconds,
                r.cost_x86,
                r.cost_arm,
            ])?;
            if let Some(exchange) = exchange {
                exchanges::insert(&tx, tx.last_insert_rowid(), exchange)?;
            }
        }
    }
    if records.iter().any(|r| r.1.is_some()) {
        exchanges::prune(&tx)?;
    }
    tx.commit()
}

/// An invocation as read back from the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The request id.
    pub request_id: String,
    /// The function.
    pub function: String,
    /// The trigger kind.
    pub trigger: String,
    /// Start, Unix epoch ms.
    pub start_ms: i64,
    /// Duration, ms.
    pub duration_ms: f64,
    /// Billed duration, ms.
    pub billed_ms: i64,
    /// Init duration on a cold start, ms.
    pub init_ms: Option<f64>,
    /// Memory size, MB.
    pub memory_mb: u32,
    /// Max memory used, MB.
    pub max_memory_mb: u32,
    /// `ok`, `error`, `timeout`, `oom`, `crash` or `throttled`.
    pub outcome: String,
    /// The error type.
    pub error_type: Option<String>,
    /// Billed GB-seconds.
    pub gb_seconds: f64,
    /// Cost on x86_64, dollars.
    pub cost_x86: f64,
    /// Cost on arm64, dollars.
    pub cost_arm: f64,
}

/// Aggregates of one function.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// The function.
    pub function: String,
    /// Invocations, throttled included.
    pub invocations: i64,
    /// Invocations that did not end `ok` (throttles excluded).
    pub errors: i64,
    /// Throttled invocations.
    pub throttles: i64,
    /// Cold starts.
    pub cold_starts: i64,
    /// Median duration, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile duration, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile duration, ms.
    pub p99_ms: Option<f64>,
    /// Billed GB-seconds.
    pub gb_seconds: f64,
    /// Total cost on x86_64, dollars.
    pub cost_x86: f64,
    /// Total cost on arm64, dollars.
    pub cost_arm: f64,
    /// Cost of a million calls like these on x86_64, dollars.
    pub projected_cost_per_million_x86: f64,
    #[serde(skip)]
    executed: i64,
}

//! Durable executions in the emulator's SQLite database, on their own connection thread: an
//! execution's row, its operations and its history events. Every change of an execution is one
//! transaction ([`DurableStore::transact`]): load, apply the pure rules of `model.rs`, save, so
//! a `kill -9` of the emulator leaves each execution as its last committed change left it.
//!
//! The rows keep the whole value as JSON (`body`) and, beside it, the columns the scheduler and
//! the lists query: status, when it is next due, whether an invocation is in flight.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use crate::db::{Db, DbError};
use fnkit_spec::durable::engine::model::{Exec, Loaded, StoredOp};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS durable_executions (
    arn      TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    name     TEXT NOT NULL,
    status   TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms   INTEGER,
    due_ms   INTEGER,              -- its timeout or a failed invocation's retry, while it runs
    busy     INTEGER NOT NULL,     -- 1 while an invocation is in flight
    kick     INTEGER NOT NULL,     -- 1 when it must be invoked again
    body     TEXT NOT NULL,        -- the Exec, JSON
    UNIQUE (function, name)
);
CREATE INDEX IF NOT EXISTS durable_executions_due ON durable_executions (status, due_ms);
CREATE TABLE IF NOT EXISTS durable_operations (
    arn    TEXT NOT NULL,
    id     TEXT NOT NULL,
    due_ms INTEGER,                -- a running wait's end, a pending retry's next attempt
    body   TEXT NOT NULL,          -- the StoredOp, JSON
    PRIMARY KEY (arn, id)
);
CREATE INDEX IF NOT EXISTS durable_operations_due ON durable_operations (due_ms) WHERE due_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS durable_events (
    arn      TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    body     TEXT NOT NULL,        -- the Event, JSON, times in epoch ms
    PRIMARY KEY (arn, event_id)
);
-- Each invocation of an execution, by the request id its InvocationCompleted event names: the
-- link from the ledger's rows (`invocations.request_id`) to their execution.
CREATE VIEW IF NOT EXISTS durable_invocations AS
    SELECT arn, event_id, body ->> '$.InvocationCompletedDetails.RequestId' AS request_id
    FROM durable_events
    WHERE body ->> '$.EventType' = 'InvocationCompleted';
";

/// What starting an execution found.
#[derive(Debug)]
pub(crate) enum Started {
    /// A new execution.
    New(Exec),
    /// One of that name already existed.
    Existing(Exec),
}

/// The durable store: a connection on its own thread, and the executions it loaded last.
#[derive(Debug, Clone)]
pub(crate) struct DurableStore {
    db: Db,
    cache: Arc<Mutex<Cache>>,
}

/// Executions as the last committed transaction left them, so a checkpoint does not read every
/// operation of its execution again (it would cost O(operations) per checkpoint: 2.2 ms each at
/// 1,000 steps). Used only on the store's thread, which is the only writer of these tables; an
/// execution whose transaction failed is dropped from it and read again.
#[derive(Debug, Default)]
struct Cache {
    executions: HashMap<String, Loaded>,
}

/// Executions kept in the cache; beyond this, one is dropped for each one added.
const CACHED: usize = 256;

impl Cache {
    fn take(&mut self, c: &Connection, arn: &str) -> rusqlite::Result<Option<Loaded>> {
        match self.executions.remove(arn) {
            Some(l) => Ok(Some(l)),
            None => load(c, arn),
        }
    }

    fn keep(&mut self, mut l: Loaded) {
        l.changed.clear();
        l.new_events.clear();
        l.spawned.clear();
        if self.executions.len() >= CACHED {
            if let Some(key) = self.executions.keys().next().cloned() {
                self.executions.remove(&key);
            }
        }
        self.executions.insert(l.exec.arn.clone(), l);
    }
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn load(c: &Connection, arn: &str) -> rusqlite::Result<Option<Loaded>> {
    let body: Option<String> = c
        .query_row(
            "SELECT body FROM durable_executions WHERE arn = ?1",
            [arn],
            |r| r.get(0),
        )
        .optional()?;
    let Some(body) = body else { return Ok(None) };
    let exec: Exec = serde_json::from_str(&body).map_err(json_err)?;
    let mut stmt = c.prepare_cached("SELECT body FROM durable_operations WHERE arn = ?1")?;
    let mut ops = BTreeMap::new();
    for body in stmt.query_map([arn], |r| r.get::<_, String>(0))? {
        let op: StoredOp = serde_json::from_str(&body?).map_err(json_err)?;
        ops.insert(op.op.id.clone(), op);
    }
    Ok(Some(Loaded {
        exec,
        ops,
        changed: Vec::new(),
        new_events: Vec::new(),
        spawned: Vec::new(),
    }))
}

fn save(c: &Connection, l: &Loaded) -> rusqlite::Result<()> {
    let e = &l.exec;
    c.execute(
        "INSERT INTO durable_executions (arn, function, name, status, start_ms, end_ms, due_ms, busy, kick, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (arn) DO UPDATE SET status = ?4, end_ms = ?6, due_ms = ?7, busy = ?8, kick = ?9, body = ?10",
        params![
            e.arn,
            e.function,
            e.name,
            e.status.as_str(),
            e.start_ms,
            e.end_ms,
            e.due_ms(),
            e.invocation.is_some(),
            e.kick,
            serde_json::to_string(e).map_err(json_err)?
        ],
    )?;
    let mut put = c.prepare_cached(
        "INSERT OR REPLACE INTO durable_operations (arn, id, due_ms, body) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for id in &l.changed {
        let op = &l.ops[id];
        let body = serde_json::to_string(op).map_err(json_err)?;
        put.execute(params![e.arn, id, op.due_ms(), body])?;
    }
    let mut add =
        c.prepare_cached("INSERT INTO durable_events (arn, event_id, body) VALUES (?1, ?2, ?3)")?;
    for (id, _, event) in &l.new_events {
        add.execute(params![e.arn, *id as i64, event.to_string()])?;
    }
    for child in &l.spawned {
        save(c, &Loaded::new(child.clone()))?;
    }
    Ok(())
}

impl DurableStore {
    /// Opens the durable tables of the state directory's database.
    pub fn open(dir: &Path) -> Result<DurableStore, DbError> {
        let path = crate::db::file(dir)?;
        Ok(DurableStore {
            db: Db::start(&path, SCHEMA, "fnkit-durable")?,
            cache: Arc::default(),
        })
    }

    /// Creates `exec` unless the function has an execution of that name, in one transaction.
    pub async fn start(&self, exec: Exec) -> Result<Started, DbError> {
        self.db
            .call(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let existing: Option<String> = tx
                    .query_row(
                        "SELECT body FROM durable_executions WHERE function = ?1 AND name = ?2",
                        params![exec.function, exec.name],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(body) = existing {
                    return Ok(Started::Existing(
                        serde_json::from_str(&body).map_err(json_err)?,
                    ));
                }
                let loaded = Loaded::new(exec);
                save(&tx, &loaded)?;
                tx.commit()?;
                Ok(Started::New(loaded.exec))
            })
            .await
    }

    /// Loads execution `arn`, runs `f` on it and saves what it changed, in one transaction;
    /// `None` when there is no such execution.
    pub async fn transact<T, F>(&self, arn: &str, f: F) -> Result<Option<T>, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Loaded) -> T + Send + 'static,
    {
        let done = self
            .transact_or_refuse(arn, move |l| Ok::<T, std::convert::Infallible>(f(l)))
            .await?;
        Ok(done.map(|out| match out {
            Ok(out) => out,
            Err(never) => match never {},
        }))
    }

    /// [`DurableStore::transact`] for a change that can be refused: when `f` answers `Err`,
    /// nothing it did is saved (the transaction is rolled back and the execution is read again
    /// next time), so a refused checkpoint leaves no half of itself behind.
    pub async fn transact_or_refuse<T, E, F>(
        &self,
        arn: &str,
        f: F,
    ) -> Result<Option<Result<T, E>>, DbError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut Loaded) -> Result<T, E> + Send + 'static,
    {
        let arn = arn.to_owned();
        let cache = self.cache.clone();
        self.db
            .call(move |c| {
                let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let Some(mut loaded) = cache.take(&tx, &arn)? else {
                    return Ok(None);
                };
                match f(&mut loaded) {
                    Ok(out) => {
                        save(&tx, &loaded)?;
                        tx.commit()?;
                        cache.keep(loaded);
                        Ok(Some(Ok(out)))
                    }
                    // Dropped: `tx` rolls back, and `loaded` (changed in memory) is not kept.
                    Err(e) => Ok(Some(Err(e))),
                }
            })
            .await
    }

    /// Runs `f` on execution `arn` as stored, changing nothing.
    pub async fn read<T, F>(&self, arn: &str, f: F) -> Result<Option<T>, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Loaded) -> T + Send + 'static,
    {
        let arn = arn.to_owned();
        let cache = self.cache.clone();
        self.db
            .call(move |c| {
                let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
                let Some(loaded) = cache.take(c, &arn)? else {
                    return Ok(None);
                };
                let out = f(&loaded);
                cache.keep(loaded);
                Ok(Some(out))
            })
            .await
    }

    /// The row of execution `arn`.
    pub async fn get(&self, arn: &str) -> Result<Option<Exec>, DbError> {
        let arn = arn.to_owned();
        self.db
            .call(move |c| {
                let body: Option<String> = c
                    .query_row(
                        "SELECT body FROM durable_executions WHERE arn = ?1",
                        [arn],
                        |r| r.get(0),
                    )
                    .optional()?;
                body.map(|b| serde_json::from_str(&b).map_err(json_err))
                    .transpose()
            })
            .await
    }

    /// Up to `max` events of `arn` after event `after` (before it, in reverse order).
    pub async fn events(
        &self,
        arn: &str,
        after: u64,
        max: usize,
        reverse: bool,
    ) -> Result<Vec<Value>, DbError> {
        let arn = arn.to_owned();
        self.db
            .call(move |c| {
                let sql = if reverse {
                    "SELECT body FROM durable_events WHERE arn = ?1 AND event_id < ?2 ORDER BY event_id DESC LIMIT ?3"
                } else {
                    "SELECT body FROM durable_events WHERE arn = ?1 AND event_id > ?2 ORDER BY event_id LIMIT ?3"
                };
                let mut stmt = c.prepare_cached(sql)?;
                let rows = stmt.query_map(params![arn, after as i64, max as i64], |r| {
                    r.get::<_, String>(0)
                })?;
                rows.map(|b| serde_json::from_str(&b?).map_err(json_err))
                    .collect()
            })
            .await
    }

    /// When the scheduler must next look at something: a running execution's timeout or
    /// retry, or (while no invocation of it is in flight) a wait's end or a retry's next attempt.
    pub async fn next_due(&self) -> Result<Option<i64>, DbError> {
        self.db
            .call(|c| {
                c.query_row(
                    "SELECT MIN(d) FROM (
                       SELECT MIN(due_ms) AS d FROM durable_executions WHERE status = 'RUNNING'
                       UNION ALL
                       SELECT MIN(o.due_ms) FROM durable_operations o JOIN durable_executions e USING (arn)
                        WHERE o.due_ms IS NOT NULL AND e.status = 'RUNNING' AND e.busy = 0)",
                    [],
                    |r| r.get(0),
                )
            })
            .await
    }

    /// The executions with something due at `now`.
    pub async fn due_at(&self, now: i64) -> Result<Vec<String>, DbError> {
        self.db
            .call(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT arn FROM durable_executions WHERE status = 'RUNNING' AND due_ms <= ?1
                     UNION
                     SELECT o.arn FROM durable_operations o JOIN durable_executions e USING (arn)
                      WHERE o.due_ms <= ?1 AND e.status = 'RUNNING' AND e.busy = 0",
                )?;
                let rows = stmt.query_map([now], |r| r.get(0))?;
                rows.collect()
            })
            .await
    }

    /// Running executions that wait to be invoked, or (`busy`) whose invocation is in flight.
    pub async fn running(&self, busy: bool) -> Result<Vec<String>, DbError> {
        self.db
            .call(move |c| {
                let sql = if busy {
                    "SELECT arn FROM durable_executions WHERE status = 'RUNNING' AND busy = 1"
                } else {
                    "SELECT arn FROM durable_executions WHERE status = 'RUNNING' AND busy = 0 AND kick = 1"
                };
                let mut stmt = c.prepare_cached(sql)?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect()
            })
            .await
    }

    /// Deletes the executions that ended more than their retention ago (`RetentionPeriodInDays`),
    /// with their operations and history; returns how many.
    pub async fn purge(&self, now: i64) -> Result<usize, DbError> {
        let cache = self.cache.clone();
        self.db
            .call(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                tx.execute_batch(&format!(
                    "CREATE TEMP TABLE IF NOT EXISTS expired (arn TEXT PRIMARY KEY);
                     DELETE FROM expired;
                     INSERT INTO expired SELECT arn FROM durable_executions
                      WHERE end_ms IS NOT NULL
                        AND end_ms + json_extract(body, '$.retention_days') * 86400000 < {now};
                     DELETE FROM durable_operations WHERE arn IN (SELECT arn FROM expired);
                     DELETE FROM durable_events WHERE arn IN (SELECT arn FROM expired);"
                ))?;
                let n = tx.execute(
                    "DELETE FROM durable_executions WHERE arn IN (SELECT arn FROM expired)",
                    [],
                )?;
                tx.commit()?;
                if n > 0 {
                    cache
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .executions
                        .clear();
                }
                Ok(n)
            })
            .await
    }

    /// Chained invokes still running in running executions: `(execution, operation)`.
    pub async fn chained_running(&self) -> Result<Vec<(String, StoredOp)>, DbError> {
        self.db
            .call(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT o.arn, o.body FROM durable_operations o JOIN durable_executions e USING (arn)
                      WHERE e.status = 'RUNNING' AND json_extract(o.body, '$.op.Type') = 'CHAINED_INVOKE'
                        AND json_extract(o.body, '$.op.Status') = 'STARTED'",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                rows.map(|row| {
                    let (arn, body) = row?;
                    Ok((arn, serde_json::from_str(&body).map_err(json_err)?))
                })
                .collect()
            })
            .await
    }

    /// The newest `limit` executions, of `function` and in `status` when given.
    pub async fn recent(
        &self,
        function: Option<String>,
        status: Option<String>,
        limit: usize,
    ) -> Result<Vec<Exec>, DbError> {
        self.db
            .call(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT body FROM durable_executions
                      WHERE (?1 IS NULL OR function = ?1) AND (?2 IS NULL OR status = ?2)
                      ORDER BY start_ms DESC, arn LIMIT ?3",
                )?;
                let rows = stmt.query_map(params![function, status, limit as i64], |r| {
                    r.get::<_, String>(0)
                })?;
                rows.map(|b| serde_json::from_str(&b?).map_err(json_err))
                    .collect()
            })
            .await
    }

    /// A page of the executions of `function` (oldest first, or newest with `reverse`), of
    /// `name` and in `statuses` when given: at most `max` from position `from`.
    pub async fn list(&self, function: &str, filter: ListFilter) -> Result<Vec<Exec>, DbError> {
        let function = function.to_owned();
        self.db
            .call(move |c| {
                let order = if filter.reverse { "DESC" } else { "ASC" };
                let sql = format!(
                    "SELECT body FROM durable_executions
                      WHERE function = ?1 AND (?2 IS NULL OR name = ?2)
                        AND (?3 = '[]' OR status IN (SELECT value FROM json_each(?3)))
                      ORDER BY start_ms {order}, arn {order} LIMIT ?4 OFFSET ?5"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let statuses = serde_json::to_string(&filter.statuses).unwrap_or_default();
                let rows = stmt.query_map(
                    params![
                        function,
                        filter.name,
                        statuses,
                        filter.max as i64,
                        filter.from as i64
                    ],
                    |r| r.get::<_, String>(0),
                )?;
                rows.map(|b| serde_json::from_str(&b?).map_err(json_err))
                    .collect()
            })
            .await
    }
}

/// Which executions a list wants.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter {
    pub name: Option<String>,
    pub statuses: Vec<String>,
    pub reverse: bool,
    pub from: usize,
    pub max: usize,
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;

//! What an invocation was given and what it gave back, kept beside its ledger row so it can be
//! replayed against a newer build and looked at: the request payload (the event, as the worker
//! received it), the response or error body, and its log when the caller asked for it. Each is
//! kept whole up to `Config::record_max_bytes` and by its size alone beyond; only the newest
//! [`KEEP`] invocations keep theirs.

use bytes::Bytes;
use rusqlite::{params, Transaction};
use serde::Serialize;

use super::Row;

/// How many invocations keep their exchange; older ones lose it (their ledger row stays).
pub const KEEP: i64 = 5_000;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS exchanges (
    invocation     INTEGER PRIMARY KEY,   -- invocations.id
    request        BLOB,                  -- NULL when larger than the cap
    request_bytes  INTEGER NOT NULL,
    response       BLOB,
    response_bytes INTEGER NOT NULL,
    log            TEXT
);
";

/// An invocation's payload and answer, on their way to the ledger.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    request: Kept,
    response: Kept,
    log: Option<String>,
}

/// A body kept whole, or only its size.
#[derive(Debug, Clone)]
struct Kept {
    bytes: Option<Bytes>,
    size: usize,
}

impl Kept {
    fn new(bytes: Bytes, cap: usize) -> Kept {
        let size = bytes.len();
        Kept {
            bytes: (size <= cap).then_some(bytes),
            size,
        }
    }
}

impl Exchange {
    /// `request` and `response`, each kept whole if it is at most `cap` bytes.
    pub fn new(request: Bytes, response: Bytes, log: Option<String>, cap: usize) -> Exchange {
        Exchange {
            request: Kept::new(request, cap),
            response: Kept::new(response, cap),
            log,
        }
    }
}

/// Writes the exchange of the invocation row just inserted as `invocation`.
pub(super) fn insert(tx: &Transaction<'_>, invocation: i64, e: &Exchange) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO exchanges (invocation, request, request_bytes, response, response_bytes, log)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        invocation,
        e.request.bytes.as_deref(),
        e.request.size as i64,
        e.response.bytes.as_deref(),
        e.response.size as i64,
        e.log,
    ])?;
    Ok(())
}

/// Forgets the exchanges of all but the newest [`KEEP`] invocations.
pub(super) fn prune(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "DELETE FROM exchanges WHERE invocation <= (SELECT MAX(invocation) FROM exchanges) - ?1",
    )?
    .execute(params![KEEP])?;
    Ok(())
}

/// An invocation read back with what it was given and gave back.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// Its ledger row.
    #[serde(flatten)]
    pub row: Row,
    /// The request payload, when it was recorded whole.
    #[serde(serialize_with = "as_text")]
    pub request: Option<Vec<u8>>,
    /// The request payload's size, when it was recorded at all.
    pub request_bytes: Option<u64>,
    /// The response or error body, when it was recorded whole.
    #[serde(serialize_with = "as_text")]
    pub response: Option<Vec<u8>>,
    /// The response's size, when it was recorded at all.
    pub response_bytes: Option<u64>,
    /// The end of its log (START to REPORT), when its caller asked for it.
    pub log: Option<String>,
}

/// A body in JSON: its text (JSON payloads are text; anything else is shown lossily).
fn as_text<S: serde::Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match bytes {
        Some(b) => s.serialize_str(&String::from_utf8_lossy(b)),
        None => s.serialize_none(),
    }
}

/// The newest invocation of `request_id` and its exchange (the columns after the row's).
pub(super) fn by_request_id() -> String {
    format!(
        "SELECT {}, e.request, e.request_bytes, e.response, e.response_bytes, e.log
         FROM invocations LEFT JOIN exchanges e ON e.invocation = invocations.id
         WHERE request_id = ?1 ORDER BY invocations.id DESC LIMIT 1",
        super::ROW_COLUMNS
    )
}

/// A row of [`by_request_id`]'s query.
pub(super) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Recorded> {
    Ok(Recorded {
        row: super::read_row(r)?,
        request: r.get(14)?,
        request_bytes: r.get(15)?,
        response: r.get(16)?,
        response_bytes: r.get(17)?,
        log: r.get(18)?,
    })
}

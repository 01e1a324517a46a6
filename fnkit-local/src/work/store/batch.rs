//! What a batch weighs: a message's weight in the SQS event its function receives, and how much
//! of a queue is visible now, for the delivery loop's batching window.

use rusqlite::params;

use super::{now_ms, Kind, Store, StoredMessage};
use crate::db::DbError;

/// What an SQS record's own fields (ids, MD5s, ARN, region) weigh in its event, about.
const RECORD_FIELDS_BYTES: usize = 512;

/// About what a message weighs in the SQS event its function receives: its body, its attributes
/// and the record's own fields. Escaping can add more; the delivery checks the event it built
/// (see `delivery.rs`).
pub(super) fn record_bytes(m: &StoredMessage) -> usize {
    m.body.len() + m.attributes.to_string().len() + RECORD_FIELDS_BYTES
}

impl Store {
    /// How many messages of `target` are visible now (counting up to `limit`), and what they
    /// weigh in an SQS event ([`record_bytes`]).
    pub async fn ready(
        &self,
        kind: Kind,
        target: &str,
        limit: u32,
    ) -> Result<(u32, usize), DbError> {
        let target = target.to_owned();
        self.db
            .call(move |c| {
                c.prepare_cached(
                    "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(body AS BLOB)) + LENGTH(attributes)), 0) FROM (SELECT body, attributes FROM messages
                     WHERE kind = ?1 AND target = ?2 AND state = 'ready' AND visible_at <= ?3
                     ORDER BY seq LIMIT ?4)",
                )?
                .query_row(params![kind.as_str(), target, now_ms(), limit], |r| {
                    let count = r.get::<_, i64>(0)? as u32;
                    let bytes = r.get::<_, i64>(1)? as usize;
                    Ok((count, bytes + count as usize * RECORD_FIELDS_BYTES))
                })
            })
            .await
    }
}

//! The SQS API's side of the store: the queues CreateQueue made, and the pull operations on
//! queues no function consumes: ReceiveMessage (in flight until the visibility timeout, then
//! visible again), DeleteMessage, ChangeMessageVisibility, PurgeQueue, and their counts.

use rusqlite::{params, OptionalExtension};

use super::{now_ms, take, Kind, Store, StoredMessage};
use crate::db::DbError;

/// What GetQueueAttributes counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PullCounts {
    /// Visible now (`ApproximateNumberOfMessages`).
    pub visible: u64,
    /// Received and not yet visible again (`ApproximateNumberOfMessagesNotVisible`).
    pub not_visible: u64,
    /// Sent with a delay not yet over (`ApproximateNumberOfMessagesDelayed`).
    pub delayed: u64,
}

impl Store {
    /// Records a queue made with CreateQueue (an existing queue keeps its attributes).
    pub async fn create_queue(
        &self,
        name: &str,
        attributes: serde_json::Value,
    ) -> Result<(), DbError> {
        let name = name.to_owned();
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO queues (name, attributes, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
                    params![name, attributes.to_string(), now_ms()],
                )
                .map(|_| ())
            })
            .await
    }

    /// A queue made with CreateQueue: its attributes and creation time.
    pub async fn created_queue(
        &self,
        name: &str,
    ) -> Result<Option<(serde_json::Value, i64)>, DbError> {
        let name = name.to_owned();
        self.db
            .call(move |c| {
                c.query_row(
                    "SELECT attributes, created_ms FROM queues WHERE name = ?1",
                    params![name],
                    |r| {
                        let text: String = r.get(0)?;
                        Ok((serde_json::from_str(&text).unwrap_or_default(), r.get(1)?))
                    },
                )
                .optional()
            })
            .await
    }

    /// The names of the queues made with CreateQueue.
    pub async fn created_queues(&self) -> Result<Vec<String>, DbError> {
        self.db
            .call(|c| {
                let mut stmt = c.prepare_cached("SELECT name FROM queues ORDER BY name")?;
                let rows = stmt
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<Vec<_>, _>>();
                rows
            })
            .await
    }

    /// Receives up to `max` visible messages of `queue` in order: each is in flight, invisible
    /// for `visibility_ms`, its receive count one higher.
    pub async fn receive(
        &self,
        queue: &str,
        max: u32,
        visibility_ms: u64,
    ) -> Result<Vec<StoredMessage>, DbError> {
        let queue = queue.to_owned();
        self.db
            .call(move |c| take(c, Kind::Queue, &queue, max, Some(visibility_ms), usize::MAX))
            .await
    }

    /// Makes a received message of `queue` visible again after `visibility_ms`; `false` if it
    /// is not in flight (never received, or deleted).
    pub async fn change_visibility(
        &self,
        queue: &str,
        id: &str,
        visibility_ms: u64,
    ) -> Result<bool, DbError> {
        let (queue, id) = (queue.to_owned(), id.to_owned());
        self.db
            .call(move |c| {
                let changed = c.execute(
                    "UPDATE messages SET visible_at = ?3 WHERE kind = 'queue' AND target = ?1 AND id = ?2 AND state = 'inflight'",
                    params![queue, id, now_ms() + visibility_ms as i64],
                )?;
                Ok(changed > 0)
            })
            .await
    }

    /// Deletes a message of `queue` (nothing if it is gone already).
    pub async fn delete_message(&self, queue: &str, id: &str) -> Result<(), DbError> {
        let (queue, id) = (queue.to_owned(), id.to_owned());
        self.db
            .call(move |c| {
                c.execute(
                    "DELETE FROM messages WHERE kind = 'queue' AND target = ?1 AND id = ?2",
                    params![queue, id],
                )
                .map(|_| ())
            })
            .await
    }

    /// Deletes every message of `queue`; returns how many.
    pub async fn purge(&self, queue: &str) -> Result<usize, DbError> {
        let queue = queue.to_owned();
        self.db
            .call(move |c| {
                c.execute(
                    "DELETE FROM messages WHERE kind = 'queue' AND target = ?1 AND state != 'dead'",
                    params![queue],
                )
            })
            .await
    }

    /// The counts GetQueueAttributes reports.
    pub async fn pull_counts(&self, queue: &str) -> Result<PullCounts, DbError> {
        let queue = queue.to_owned();
        self.db
            .call(move |c| {
                c.query_row(
                    "SELECT COALESCE(SUM(state IN ('ready', 'inflight') AND visible_at <= ?2), 0),
                            COALESCE(SUM(state = 'inflight' AND visible_at > ?2), 0),
                            COALESCE(SUM(state = 'ready' AND visible_at > ?2), 0)
                     FROM messages WHERE kind = 'queue' AND target = ?1",
                    params![queue, now_ms()],
                    |r| {
                        Ok(PullCounts {
                            visible: r.get::<_, i64>(0)? as u64,
                            not_visible: r.get::<_, i64>(1)? as u64,
                            delayed: r.get::<_, i64>(2)? as u64,
                        })
                    },
                )
            })
            .await
    }
}

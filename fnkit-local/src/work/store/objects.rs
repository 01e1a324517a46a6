//! The bucket index: one row per object (size, mtime, eTag), changed together with the events
//! the change fires.

use rusqlite::{params, OptionalExtension};

use super::{insert, NewMessage, ObjectMeta, Store};
use crate::db::DbError;

impl Store {
    /// The index entry of an object.
    pub async fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, DbError> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.db
            .call(move |c| {
                c.query_row(
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
            })
            .await
    }

    /// The indexed objects of a bucket whose keys start with `prefix`, in key order.
    pub async fn objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<(String, ObjectMeta)>, DbError> {
        let (bucket, prefix) = (bucket.to_owned(), prefix.to_owned());
        self.db
            .call(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT key, size, mtime_ns, etag FROM objects
                     WHERE bucket = ?1 AND substr(key, 1, length(?2)) = ?2 ORDER BY key",
                )?;
                let rows = stmt
                    .query_map(params![bucket, prefix], |r| {
                        Ok((
                            r.get(0)?,
                            ObjectMeta {
                                size: r.get::<_, i64>(1)? as u64,
                                mtime_ns: r.get(2)?,
                                etag: r.get(3)?,
                            },
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>();
                rows
            })
            .await
    }

    /// Every indexed (bucket, key).
    pub async fn all_objects(&self) -> Result<Vec<(String, String)>, DbError> {
        self.db
            .call(|c| {
                let mut stmt = c.prepare_cached("SELECT bucket, key FROM objects")?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>();
                rows
            })
            .await
    }

    /// Records an object's new state (`None`: deleted) and the events it fires, atomically.
    pub async fn object_changed(
        &self,
        bucket: &str,
        key: &str,
        meta: Option<ObjectMeta>,
        events: Vec<NewMessage>,
    ) -> Result<(), DbError> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.db
            .call(move |c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                match meta {
                    Some(m) => tx.execute(
                        "INSERT INTO objects (bucket, key, size, mtime_ns, etag) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (bucket, key) DO UPDATE SET size = ?3, mtime_ns = ?4, etag = ?5",
                        params![bucket, key, m.size as i64, m.mtime_ns, m.etag],
                    ),
                    None => tx.execute(
                        "DELETE FROM objects WHERE bucket = ?1 AND key = ?2",
                        params![bucket, key],
                    ),
                }?;
                insert(&tx, &events)?;
                tx.commit()
            })
            .await
    }
}

//! Storage functions: objects created or deleted in a bucket, decoded from S3 notifications
//! (keys URL-decoded) into provider-neutral records.

use std::time::SystemTime;

use aws_lambda_events::s3::S3Event;

use super::{parse_payload, trigger, FromEvent};
use crate::invocation::Invocation;
use crate::Error;

/// One storage notification. S3 sends one record per notification in practice, but the format
/// allows several, and fnkit drops none.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageEvent {
    /// The changed objects.
    pub records: Vec<StorageRecord>,
}

/// A change to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageRecord {
    /// The bucket.
    pub bucket: String,
    /// The object's key, URL-decoded (S3 sends `my+file%21.txt` for `my file!.txt`).
    pub key: String,
    /// The object's size in bytes (0 for deletions).
    pub size: u64,
    /// The object's ETag, when known.
    pub etag: Option<String>,
    /// Created or deleted.
    pub change: StorageChange,
    /// The platform's event name, e.g. `ObjectCreated:Put`.
    pub event_name: String,
    /// When the change happened.
    pub time: SystemTime,
}

/// The kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageChange {
    /// Created or replaced (`ObjectCreated:*`).
    Created,
    /// Deleted (`ObjectRemoved:*`).
    Deleted,
    /// Any other notification (restores, replication, ...).
    Other,
}

impl StorageEvent {
    /// A notification of the given records.
    pub fn new(records: Vec<StorageRecord>) -> Self {
        StorageEvent { records }
    }

    /// The first record; notifications carry at least one.
    pub fn first(&self) -> Option<&StorageRecord> {
        self.records.first()
    }
}

impl StorageRecord {
    /// A record of a change to `bucket`/`key` at the current time.
    pub fn new(bucket: impl Into<String>, key: impl Into<String>, change: StorageChange) -> Self {
        StorageRecord {
            bucket: bucket.into(),
            key: key.into(),
            size: 0,
            etag: None,
            change,
            event_name: match change {
                StorageChange::Created => "ObjectCreated:Put",
                StorageChange::Deleted => "ObjectRemoved:Delete",
                StorageChange::Other => "ObjectRestore:Completed",
            }
            .to_owned(),
            time: SystemTime::now(),
        }
    }

    /// Sets the size.
    #[must_use]
    pub fn size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// Sets the ETag.
    #[must_use]
    pub fn etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into());
        self
    }
}

impl IntoIterator for StorageEvent {
    type Item = StorageRecord;
    type IntoIter = std::vec::IntoIter<StorageRecord>;
    fn into_iter(self) -> Self::IntoIter {
        self.records.into_iter()
    }
}

/// Decodes an S3 object key: `+` is a space, `%xx` an escaped byte.
pub(crate) fn decode_key(key: &str) -> String {
    percent_encoding::percent_decode_str(&key.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

impl FromEvent<trigger::Storage> for StorageEvent {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        const WHAT: &str = "a storage event (S3 notification)";
        let event: S3Event = parse_payload(&invocation.payload, WHAT)?;
        if event.records.is_empty() {
            return Err(Error::unmarshal(WHAT, "`Records` is empty"));
        }
        let records = event
            .records
            .into_iter()
            .map(|r| {
                let event_name = r.event_name.unwrap_or_default();
                let change = if event_name.starts_with("ObjectCreated") {
                    StorageChange::Created
                } else if event_name.starts_with("ObjectRemoved") {
                    StorageChange::Deleted
                } else {
                    StorageChange::Other
                };
                let key =
                    r.s3.object
                        .key
                        .ok_or_else(|| Error::unmarshal(WHAT, "a record has no `s3.object.key`"))?;
                Ok(StorageRecord {
                    // The trigger's bucket by its logical name (the deployment may use another).
                    bucket: crate::resource::as_logical(
                        &invocation.spec.trigger,
                        r.s3.bucket.name.unwrap_or_default(),
                    ),
                    key: decode_key(&key),
                    size: r.s3.object.size.unwrap_or(0).max(0) as u64,
                    etag: r.s3.object.e_tag,
                    change,
                    event_name,
                    time: r.event_time.into(),
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(StorageEvent { records })
    }
}

/// Encodes an S3 object key as S3 notifications do: `+` for a space, `%xx` for reserved bytes.
pub(crate) fn encode_key(key: &str) -> String {
    const KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEY)
        .to_string()
        .replace(' ', "+")
}

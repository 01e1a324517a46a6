//! Buckets as folders (`<buckets-root>/<bucket>/<key>`): the key rules, uploads and deletions
//! through the API, listings, and [`Buckets::reconcile`], the one place a change of an object
//! becomes storage events. Whether a change arrives through the upload API, the S3-style API or a
//! file written into the folder (`watcher.rs`), it is compared with the bucket index and recorded
//! with its events in one transaction, so each change fires exactly once and survives a crash.
//!
//! File system work (hashing, walks: `files.rs`) runs on blocking threads, never on the runtime.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use fnkit::manifest::Trigger;
use fnkit::{StorageChange, StorageRecord};

pub(crate) use super::files::{inside, key_of, md5_file, remove_temporaries, walk, TEMP_PREFIX};
use super::files::{meta_of, stamp};
use crate::engine::{new_request_id, Engine};
use crate::work::store::{Kind, NewMessage, ObjectMeta};
use crate::work::Work;

/// A file an upload writes before it is renamed into place ([`Buckets::commit`]): removed when
/// dropped unless it was, so an upload that fails or whose client hangs up mid-body leaves
/// nothing behind.
#[derive(Debug)]
pub(crate) struct TempFile(Option<PathBuf>);

impl TempFile {
    /// Where it is.
    pub fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or_else(|| Path::new(""))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // One unlink: too short to be worth a blocking thread.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Why a bucket or key is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum KeyError {
    #[error(transparent)]
    Bucket(#[from] fnkit_spec::names::NameError),
    #[error("the key is empty")]
    Empty,
    #[error("the key is longer than 1024 bytes")]
    TooLong,
    #[error("the key holds a NUL byte")]
    Nul,
    #[error("the key `{0}` would leave the bucket (absolute path, `.` or `..` segment)")]
    Escapes(String),
    #[error("the key `{0}` resolves outside the bucket (through a link, or a link loop)")]
    Outside(String),
}

/// A failed upload, deletion or listing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PutError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl PutError {
    pub(crate) fn other(e: impl std::fmt::Display) -> PutError {
        PutError::Io(std::io::Error::other(e.to_string()))
    }
}

pub(crate) fn check_bucket(bucket: &str) -> Result<(), KeyError> {
    Ok(fnkit_spec::names::bucket_name(bucket)?)
}

/// The file of `bucket`/`key` under `root`, or why the key is refused. Only plain, relative,
/// `..`-free keys are accepted, so a key can never name a path outside its bucket.
pub(crate) fn object_path(root: &Path, bucket: &str, key: &str) -> Result<PathBuf, KeyError> {
    check_bucket(bucket)?;
    if key.is_empty() || key.ends_with('/') {
        return Err(KeyError::Empty);
    }
    if key.len() > 1024 {
        return Err(KeyError::TooLong);
    }
    if key.contains('\0') {
        return Err(KeyError::Nul);
    }
    let relative = Path::new(key);
    let plain = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        && !key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == ".." || s.starts_with(TEMP_PREFIX));
    if !plain {
        return Err(KeyError::Escapes(key.to_owned()));
    }
    Ok(root.join(bucket).join(relative))
}

/// Whether a storage trigger fires for a change of `bucket`/`key` (fnkit-spec's rule, which the
/// HTTP mode applies too).
pub(crate) fn matches(trigger: &Trigger, bucket: &str, key: &str, change: StorageChange) -> bool {
    let change = match change {
        StorageChange::Created => fnkit_spec::storage::Change::Created,
        StorageChange::Deleted => fnkit_spec::storage::Change::Deleted,
        _ => return false,
    };
    fnkit_spec::storage::fires(trigger, Some(bucket), key, change)
}

/// An object as [`Buckets::list`] finds it.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub key: String,
    pub size: u64,
    /// As indexed; `None` for a file the watcher has not reconciled yet.
    pub etag: Option<String>,
    pub mtime_ns: i64,
}

/// The buckets' folder and what a change of an object touches.
#[derive(Debug)]
pub(crate) struct Buckets {
    root: PathBuf,
    engine: Arc<Engine>,
    work: Arc<Work>,
    /// Held across a reconcile, from reading the index to recording the change: two reconciles
    /// of one change (an upload and the watcher's view of its rename) must not both see the old
    /// entry and both fire.
    reconciling: tokio::sync::Mutex<()>,
}

/// Whether a reconciled change fires the storage functions' events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fire {
    Events,
    Nothing,
}

impl Buckets {
    /// Buckets under `root`, made absolute here so that paths the watcher reports (absolute)
    /// and paths built from keys always share one prefix, whatever the working directory.
    pub fn new(root: &Path, engine: Arc<Engine>, work: Arc<Work>) -> Buckets {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
        Buckets {
            root,
            engine,
            work,
            reconciling: tokio::sync::Mutex::new(()),
        }
    }

    /// The buckets the served functions name: in storage triggers and in `uses`.
    pub fn declared_buckets(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for f in self.engine.functions.values() {
            if let Trigger::Storage { bucket, .. } = &f.spec.trigger {
                names.push(bucket.to_string());
            }
            for resource in f.spec.uses.iter() {
                if let fnkit::manifest::Resource::Bucket(name) = resource {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// The absolute root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every indexed (bucket, key).
    pub async fn indexed(&self) -> Vec<(String, String)> {
        self.work.store.all_objects().await.unwrap_or_default()
    }

    /// The indexed keys of `bucket` under `prefix`.
    pub async fn indexed_keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let objects = self.work.store.objects(bucket, prefix).await;
        objects
            .unwrap_or_default()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    /// The file of an object, or why its key is refused (by its text alone: see
    /// [`Buckets::resolve`] before touching the file).
    pub fn object_path(&self, bucket: &str, key: &str) -> Result<PathBuf, KeyError> {
        object_path(&self.root, bucket, key)
    }

    /// The file of an object, checked to resolve inside its bucket through any links (off the
    /// runtime): every read, write and deletion goes through here.
    pub async fn resolve(&self, bucket: &str, key: &str) -> Result<PathBuf, KeyError> {
        let path = self.object_path(bucket, key)?;
        let (bucket_dir, probe) = (self.root.join(bucket), path.clone());
        let inside = tokio::task::spawn_blocking(move || inside(&bucket_dir, &probe)).await;
        match inside {
            Ok(true) => Ok(path),
            _ => Err(KeyError::Outside(key.to_owned())),
        }
    }

    /// Writes an object atomically (a temporary file renamed into place), then reconciles it so
    /// its event is stored before the caller is answered.
    pub async fn put(&self, bucket: &str, key: &str, body: Bytes) -> Result<ObjectMeta, PutError> {
        let temp = self.temp_for(bucket, key).await?;
        tokio::fs::write(temp.path(), body).await?;
        self.commit(bucket, key, temp, None).await
    }

    /// A temporary file for a new `bucket`/`key`, in the folder the object will be renamed into
    /// (created if needed, and checked to stay inside the bucket). The watcher ignores it.
    pub async fn temp_for(&self, bucket: &str, key: &str) -> Result<TempFile, PutError> {
        // Checked before its folders are made: none is made through a link out of the bucket.
        let path = self.resolve(bucket, key).await?;
        let dir = path
            .parent()
            .ok_or_else(|| KeyError::Escapes(key.to_owned()))?
            .to_owned();
        tokio::fs::create_dir_all(&dir).await?;
        let bucket_dir = tokio::fs::canonicalize(self.root.join(bucket)).await?;
        if !tokio::fs::canonicalize(&dir)
            .await?
            .starts_with(&bucket_dir)
        {
            return Err(KeyError::Escapes(key.to_owned()).into());
        }
        Ok(TempFile(Some(
            dir.join(format!("{TEMP_PREFIX}{}", new_request_id())),
        )))
    }

    /// Renames a file written with [`Buckets::temp_for`] into place and reconciles the object,
    /// so its event is stored before the caller is answered. `etag` records the object's eTag
    /// when it is not the MD5 of its bytes (a multipart upload's `<md5 of md5s>-<parts>`).
    pub async fn commit(
        &self,
        bucket: &str,
        key: &str,
        mut temp: TempFile,
        etag: Option<String>,
    ) -> Result<ObjectMeta, PutError> {
        let path = self.object_path(bucket, key)?;
        tokio::fs::rename(temp.path(), &path).await?;
        // Renamed into place: nothing to remove any more.
        temp.0 = None;
        self.reconcile_as(bucket, key, etag, Fire::Events)
            .await
            .map_err(PutError::other)?
            .ok_or_else(|| PutError::other("the object vanished"))
    }

    /// Deletes an object and fires its event; `Ok(false)` if there was none.
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<bool, PutError> {
        let path = self.resolve(bucket, key).await?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        self.reconcile(bucket, key).await.map_err(PutError::other)?;
        Ok(true)
    }

    /// The objects of a bucket whose keys start with `prefix`, sorted by key, with their sizes,
    /// eTags (as indexed) and modification times: one walk of the folder (off the runtime) and
    /// one query of the index.
    pub async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<Listed>, PutError> {
        check_bucket(bucket)?;
        let dir = self.root.join(bucket);
        let files = tokio::task::spawn_blocking(move || walk(&dir, &dir))
            .await
            .map_err(PutError::other)?;
        let mut index: std::collections::HashMap<String, ObjectMeta> = self
            .work
            .store
            .objects(bucket, prefix)
            .await
            .map_err(PutError::other)?
            .into_iter()
            .collect();
        let mut out: Vec<Listed> = files
            .into_iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(key, size)| {
                let meta = index.remove(&key);
                Listed {
                    etag: meta.as_ref().map(|m| m.etag.clone()),
                    mtime_ns: meta.map_or(0, |m| m.mtime_ns),
                    key,
                    size,
                }
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// An object's file and entry as they are now, for a read (S3's GetObject, HeadObject,
    /// CopyObject's source): the index's entry when the file's size and mtime still match it (no
    /// lock, no hashing), else what [`Buckets::reconcile`] records (a file written by hand fires
    /// its event here first). The key is resolved once, through any links ([`Buckets::resolve`]).
    pub async fn current(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<(PathBuf, ObjectMeta)>, PutError> {
        let path = self.resolve(bucket, key).await?;
        if let Ok(metadata) = tokio::fs::metadata(&path).await {
            let known = self.work.store.object(bucket, key).await;
            if let (Ok((size, mtime_ns)), Ok(Some(known))) = (stamp(&metadata), known) {
                if metadata.is_file() && known.size == size && known.mtime_ns == mtime_ns {
                    return Ok(Some((path, known)));
                }
            }
        }
        let now = self.reconcile(bucket, key).await.map_err(PutError::other)?;
        Ok(now.map(|meta| (path, meta)))
    }

    /// Compares an object on disk with the index and, if it changed, records the change and the
    /// events of the storage functions that match it, in one transaction. Returns the object's
    /// entry as now recorded (`None`: no such object).
    pub async fn reconcile(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, String> {
        self.reconcile_as(bucket, key, None, Fire::Events).await
    }

    /// [`Buckets::reconcile`] that records the change and fires nothing: the start-up scan's,
    /// when it rebuilds an index the database lost (its objects fired when they were made).
    pub async fn reindex(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, String> {
        self.reconcile_as(bucket, key, None, Fire::Nothing).await
    }

    /// [`Buckets::reconcile`], recording `etag` instead of the bytes' MD5 for a changed object.
    async fn reconcile_as(
        &self,
        bucket: &str,
        key: &str,
        etag: Option<String>,
        fire: Fire,
    ) -> Result<Option<ObjectMeta>, String> {
        let _one_at_a_time = self.reconciling.lock().await;
        let store = &self.work.store;
        let bucket_dir = self.root.join(bucket);
        let path = bucket_dir.join(key);
        let before = store.object(bucket, key).await.map_err(|e| e.to_string())?;
        let known = before.clone();
        let mut now =
            tokio::task::spawn_blocking(move || meta_of(&bucket_dir, &path, known.as_ref()))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        if let (Some(n), Some(etag)) = (now.as_mut(), etag) {
            n.etag = etag;
        }
        let change = match (&before, &now) {
            (None, None) => return Ok(None),
            (Some(b), Some(n)) if b.size == n.size && b.etag == n.etag => {
                if b.mtime_ns != n.mtime_ns {
                    store
                        .object_changed(bucket, key, now.clone(), Vec::new())
                        .await
                        .map_err(|e| e.to_string())?;
                }
                return Ok(now);
            }
            (_, Some(_)) => StorageChange::Created,
            (Some(_), None) => StorageChange::Deleted,
        };
        let mut record = StorageRecord::new(bucket, key, change);
        if let Some(n) = &now {
            record = record.size(n.size).etag(n.etag.clone());
        }
        let event = fnkit::platform::to_s3_event(std::slice::from_ref(&record));
        let body = serde_json::to_vec(&event).unwrap_or_default();
        let mut targets: Vec<String> = self
            .engine
            .functions
            .values()
            .filter(|f| fire == Fire::Events && matches(&f.spec.trigger, bucket, key, change))
            .map(|f| f.config.name.clone())
            .collect();
        targets.sort();
        let messages: Vec<NewMessage> = targets
            .iter()
            .map(|function| NewMessage {
                id: new_request_id(),
                kind: Kind::Async,
                target: function.clone(),
                body: body.clone(),
                attributes: serde_json::json!({}),
                trigger: "storage".to_owned(),
                delay_ms: 0,
            })
            .collect();
        self.work
            .object_changed(bucket, key, now.clone(), messages)
            .await
            .map_err(|e| e.to_string())?;
        let fired = if targets.is_empty() {
            "no function".to_owned()
        } else {
            targets.join(", ")
        };
        let logs = &self.engine.logs;
        logs.info(&format!(
            "fnkit-local: {} {bucket}/{key} -> {fired}",
            record.event_name
        ));
        Ok(now)
    }
}

#[cfg(test)]
#[path = "buckets_tests.rs"]
mod tests;

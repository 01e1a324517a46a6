//! Buckets as folders (`<state-dir>/buckets/<bucket>/<key>`): the upload API, the watcher that
//! turns file changes into storage events, and the index that makes those events survive a
//! crash. A change is noticed by `notify`, debounced until the file has stopped changing, and
//! then reconciled against the index in one transaction with the events it fires; at start-up
//! every bucket is reconciled, so changes made while the emulator was down fire too.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use fnkit::manifest::{StorageEvents, Trigger};
use fnkit::{StorageChange, StorageRecord};
use md5::{Digest, Md5};
use tokio::sync::mpsc;

use crate::core::Core;
use crate::store::{Kind, NewMessage, ObjectMeta};

/// How long a path must stay quiet after its writer closed it (or it was renamed or removed)
/// before its event fires.
const QUIET: Duration = Duration::from_millis(150);
/// How long a path written without a visible close must stay quiet before its event fires.
const QUIET_UNCLOSED: Duration = Duration::from_secs(2);

/// What the watcher saw happen to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Created or written: a writer may still be at work.
    Written,
    /// Closed after writing, renamed or removed: complete.
    Settled,
}
/// Files the upload API writes before renaming them into place.
const TEMP_PREFIX: &str = ".fnkit-upload-";

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
            .any(|s| s.is_empty() || s == "." || s == "..")
        && !key.starts_with(TEMP_PREFIX)
        && !key.split('/').any(|s| s.starts_with(TEMP_PREFIX));
    if !plain {
        return Err(KeyError::Escapes(key.to_owned()));
    }
    Ok(root.join(bucket).join(relative))
}

/// Writes an object atomically (a temporary file renamed into place), then reconciles it so its
/// event is stored before the caller is answered.
pub(crate) async fn put(
    core: &Core,
    bucket: &str,
    key: &str,
    body: &[u8],
) -> Result<ObjectMeta, PutError> {
    let root = core.config.buckets_root();
    let path = object_path(&root, bucket, key)?;
    let dir = path
        .parent()
        .ok_or_else(|| KeyError::Escapes(key.to_owned()))?
        .to_owned();
    tokio::fs::create_dir_all(&dir).await?;
    let bucket_dir = tokio::fs::canonicalize(root.join(bucket)).await?;
    if !tokio::fs::canonicalize(&dir)
        .await?
        .starts_with(&bucket_dir)
    {
        return Err(KeyError::Escapes(key.to_owned()).into());
    }
    let temp = dir.join(format!("{TEMP_PREFIX}{}", crate::core::fnkit_request_id()));
    tokio::fs::write(&temp, body).await?;
    tokio::fs::rename(&temp, &path).await?;
    reconcile(core, bucket, key).map_err(|e| PutError::Io(std::io::Error::other(e.to_string())))?;
    core.store
        .object(bucket, key)
        .ok()
        .flatten()
        .ok_or_else(|| PutError::Io(std::io::Error::other("the object vanished")))
}

/// Deletes an object and fires its event; `Ok(false)` if there was none.
pub(crate) async fn delete(core: &Core, bucket: &str, key: &str) -> Result<bool, PutError> {
    let path = object_path(&core.config.buckets_root(), bucket, key)?;
    match tokio::fs::remove_file(&path).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    reconcile(core, bucket, key).map_err(|e| PutError::Io(std::io::Error::other(e.to_string())))?;
    Ok(true)
}

/// A failed upload or deletion.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PutError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The objects of a bucket whose keys start with `prefix`, sorted.
pub(crate) fn list(
    core: &Core,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<serde_json::Value>, KeyError> {
    check_bucket(bucket)?;
    let dir = core.config.buckets_root().join(bucket);
    let mut out = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                let Some(key) = key_of(&dir, &path) else {
                    continue;
                };
                if key.starts_with(prefix) {
                    let meta = core.store.object(bucket, &key).ok().flatten();
                    out.push(serde_json::json!({
                        "key": key,
                        "size": entry.metadata().map(|m| m.len()).unwrap_or(0),
                        "etag": meta.map(|m| m.etag),
                    }));
                }
            }
        }
    }
    out.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
    Ok(out)
}

/// The key of a file inside a bucket folder, if it is an object (not a temporary file).
fn key_of(bucket_dir: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(bucket_dir).ok()?;
    let key = relative.to_str()?.to_owned();
    let temp = relative.components().any(|c| {
        c.as_os_str()
            .to_str()
            .is_some_and(|s| s.starts_with(TEMP_PREFIX))
    });
    (!temp && !key.is_empty()).then_some(key)
}

/// The object's metadata; its content is read (for the MD5 eTag) only when its size or mtime
/// differ from `known`, so a start-up scan of unchanged buckets stats files without reading them.
fn meta_of(path: &Path, known: Option<&ObjectMeta>) -> std::io::Result<Option<ObjectMeta>> {
    let metadata = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mtime_ns = metadata
        .modified()?
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as i64;
    if let Some(k) = known.filter(|k| k.size == metadata.len() && k.mtime_ns == mtime_ns) {
        return Ok(Some(k.clone()));
    }
    let bytes = std::fs::read(path)?;
    let etag = format!("{:x}", Md5::digest(&bytes));
    Ok(Some(ObjectMeta {
        size: metadata.len(),
        mtime_ns,
        etag,
    }))
}

/// Compares an object on disk with the index and, if it changed, records the change and the
/// events of the storage functions that match it, in one transaction.
pub(crate) fn reconcile(core: &Core, bucket: &str, key: &str) -> Result<(), String> {
    let path = core.config.buckets_root().join(bucket).join(key);
    let before = core.store.object(bucket, key).map_err(|e| e.to_string())?;
    let now = meta_of(&path, before.as_ref()).map_err(|e| e.to_string())?;
    let change = match (&before, &now) {
        (None, None) => return Ok(()),
        (Some(b), Some(n)) if b.size == n.size && b.etag == n.etag => {
            if b.mtime_ns != n.mtime_ns {
                core.store
                    .object_changed(bucket, key, Some(n), &[])
                    .map_err(|e| e.to_string())?;
            }
            return Ok(());
        }
        (_, Some(_)) => StorageChange::Created,
        (Some(_), None) => StorageChange::Deleted,
    };
    let mut record = StorageRecord::new(bucket, key, change);
    if let Some(n) = &now {
        record = record.size(n.size).etag(n.etag.clone());
    }
    let event = fnkit::event::storage::to_s3_event(std::slice::from_ref(&record));
    let body = serde_json::to_vec(&event).unwrap_or_default();
    let targets: Vec<String> = core
        .functions
        .values()
        .filter(|f| matches(&f.spec.trigger, bucket, key, change))
        .map(|f| f.config.name.clone())
        .collect();
    let messages: Vec<NewMessage> = targets
        .iter()
        .map(|function| NewMessage {
            id: crate::core::fnkit_request_id(),
            kind: Kind::Async,
            target: function.clone(),
            body: body.clone(),
            attributes: serde_json::json!({}),
            trigger: "storage".to_owned(),
            delay_ms: 0,
        })
        .collect();
    core.store
        .object_changed(bucket, key, now.as_ref(), &messages)
        .map_err(|e| e.to_string())?;
    for function in &targets {
        core.wake(Kind::Async, function);
    }
    core.logs.info(&format!(
        "fnkit-local: {} {bucket}/{key} -> {}",
        record.event_name,
        if targets.is_empty() {
            "no function".to_owned()
        } else {
            targets.join(", ")
        }
    ));
    Ok(())
}

/// Whether a storage trigger fires for a change of `bucket`/`key`.
pub(crate) fn matches(trigger: &Trigger, bucket: &str, key: &str, change: StorageChange) -> bool {
    let Trigger::Storage {
        bucket: b,
        prefix,
        suffix,
        events,
    } = trigger
    else {
        return false;
    };
    let kind = matches!(
        (events, change),
        (StorageEvents::All, _)
            | (StorageEvents::Created, StorageChange::Created)
            | (StorageEvents::Deleted, StorageChange::Deleted)
    );
    b == bucket
        && kind
        && prefix.as_deref().is_none_or(|p| key.starts_with(p))
        && suffix.as_deref().is_none_or(|s| key.ends_with(s))
}

/// Reconciles every bucket (changes made while the emulator was down), then watches the buckets'
/// folder for changes.
pub(crate) fn start(core: &Arc<Core>) -> Vec<tokio::task::JoinHandle<()>> {
    let root = core.config.buckets_root();
    if let Err(e) = std::fs::create_dir_all(&root) {
        core.logs.info(&format!(
            "fnkit-local: cannot create the buckets folder {}: {e}; storage triggers are off",
            root.display()
        ));
        return Vec::new();
    }
    scan(core, &root);
    let (tx, rx) = mpsc::unbounded_channel::<(PathBuf, Seen)>();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
        let Ok(event) = event else { return };
        let seen = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => Seen::Settled,
            EventKind::Modify(ModifyKind::Name(_)) | EventKind::Remove(_) => Seen::Settled,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Any | EventKind::Other => {
                Seen::Written
            }
            EventKind::Access(_) => return,
        };
        for path in event.paths {
            let _ = tx.send((path, seen));
        }
    });
    let mut watcher = match watcher {
        Ok(w) => w,
        Err(e) => {
            core.logs.info(&format!("fnkit-local: cannot watch {}: {e}; storage triggers fire only for uploads through the API", root.display()));
            return Vec::new();
        }
    };
    use notify::Watcher as _;
    if let Err(e) = watcher.watch(&root, notify::RecursiveMode::Recursive) {
        core.logs.info(&format!(
            "fnkit-local: cannot watch {}: {e}",
            root.display()
        ));
        return Vec::new();
    }
    let core = core.clone();
    vec![tokio::spawn(async move {
        let _watcher = watcher;
        debounce(core, root, rx).await;
    })]
}

/// Every file of every bucket, and every indexed object that is gone.
fn scan(core: &Core, root: &Path) {
    let mut seen: Vec<(String, String)> = Vec::new();
    if let Ok(buckets) = std::fs::read_dir(root) {
        for b in buckets.flatten() {
            let Some(bucket) = b.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if check_bucket(&bucket).is_err() || !b.path().is_dir() {
                continue;
            }
            let mut stack = vec![b.path()];
            while let Some(d) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if let Some(key) = key_of(&b.path(), &path) {
                        seen.push((bucket.clone(), key));
                    }
                }
            }
        }
    }
    let indexed: Vec<(String, String)> = core
        .store
        .buckets()
        .unwrap_or_default()
        .into_iter()
        .flat_map(|b| {
            core.store
                .object_keys(&b)
                .unwrap_or_default()
                .into_iter()
                .map(move |k| (b.clone(), k))
        })
        .collect();
    for (bucket, key) in seen
        .iter()
        .chain(indexed.iter().filter(|i| !seen.contains(i)))
    {
        if let Err(e) = reconcile(core, bucket, key) {
            core.logs.info(&format!("fnkit-local: {bucket}/{key}: {e}"));
        }
    }
}

/// Reconciles each changed path once it is complete: quiet for [`QUIET`] after its writer
/// closed it (or it was renamed or removed), or quiet for [`QUIET_UNCLOSED`] otherwise. A file
/// still being written therefore fires once, when it is done.
async fn debounce(
    core: Arc<Core>,
    root: PathBuf,
    mut rx: mpsc::UnboundedReceiver<(PathBuf, Seen)>,
) {
    let mut pending: HashMap<PathBuf, (Instant, Seen)> = HashMap::new();
    let due_at = |(at, seen): &(Instant, Seen)| {
        *at + if *seen == Seen::Settled {
            QUIET
        } else {
            QUIET_UNCLOSED
        }
    };
    loop {
        let next_due = pending.values().map(due_at).min();
        let received = match next_due {
            Some(due) => tokio::time::timeout_at(due.into(), rx.recv()).await.ok(),
            None => Some(rx.recv().await),
        };
        match received {
            Some(Some((path, seen))) => {
                pending.insert(path, (Instant::now(), seen));
                continue;
            }
            Some(None) => return,
            None => {}
        }
        let now = Instant::now();
        let due: Vec<PathBuf> = pending
            .iter()
            .filter(|(_, v)| due_at(v) <= now)
            .map(|(p, _)| p.clone())
            .collect();
        for path in due {
            pending.remove(&path);
            let Ok(relative) = path.strip_prefix(&root) else {
                continue;
            };
            let mut parts = relative.components();
            let Some(bucket) = parts
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .map(str::to_owned)
            else {
                continue;
            };
            if check_bucket(&bucket).is_err() {
                continue;
            }
            let bucket_dir = root.join(&bucket);
            if path.is_dir() {
                // A folder moved in or out: reconcile what is under it now and what the index had.
                let prefix = key_of(&bucket_dir, &path)
                    .map(|k| format!("{k}/"))
                    .unwrap_or_default();
                let mut keys: Vec<String> = core
                    .store
                    .object_keys(&bucket)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|k| k.starts_with(&prefix))
                    .collect();
                let mut stack = vec![path.clone()];
                while let Some(d) = stack.pop() {
                    for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                        let p = entry.path();
                        if p.is_dir() {
                            stack.push(p);
                        } else if let Some(k) = key_of(&bucket_dir, &p) {
                            keys.push(k);
                        }
                    }
                }
                keys.sort();
                keys.dedup();
                for key in keys {
                    let _ = reconcile(&core, &bucket, &key);
                }
                continue;
            }
            let Some(key) = key_of(&bucket_dir, &path) else {
                continue;
            };
            if let Err(e) = reconcile(&core, &bucket, &key) {
                core.logs.info(&format!("fnkit-local: {bucket}/{key}: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_would_escape_are_refused() {
        let root = Path::new("/b");
        assert_eq!(
            object_path(root, "uploads", "a/b.txt"),
            Ok(PathBuf::from("/b/uploads/a/b.txt"))
        );
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "./a",
            "a/.",
            "",
            "a/",
            ".fnkit-upload-1",
        ] {
            assert!(object_path(root, "uploads", bad).is_err(), "{bad}");
        }
        assert_eq!(object_path(root, "uploads", "a\0b"), Err(KeyError::Nul));
        assert!(object_path(root, "Up", "a").is_err());
        assert!(object_path(root, "..", "a").is_err());
    }

    #[test]
    fn triggers_match_bucket_prefix_suffix_and_kind() {
        let t = Trigger::Storage {
            bucket: "uploads".into(),
            prefix: Some("images/".into()),
            suffix: Some(".png".into()),
            events: StorageEvents::Created,
        };
        assert!(matches(
            &t,
            "uploads",
            "images/a.png",
            StorageChange::Created
        ));
        assert!(!matches(
            &t,
            "uploads",
            "docs/a.png",
            StorageChange::Created
        ));
        assert!(!matches(
            &t,
            "uploads",
            "images/a.jpg",
            StorageChange::Created
        ));
        assert!(!matches(
            &t,
            "uploads",
            "images/a.png",
            StorageChange::Deleted
        ));
        assert!(!matches(
            &t,
            "other",
            "images/a.png",
            StorageChange::Created
        ));
    }
}

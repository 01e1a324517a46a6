//! The watcher of the buckets' folder: a file created, written, renamed or removed by anyone (a
//! function, an editor, `cp`) fires its storage functions. A change is noticed by `notify`,
//! debounced until the file has stopped changing, and reconciled with the index
//! ([`Buckets::reconcile`]). At start-up every bucket is reconciled too, so changes made while
//! the emulator was down fire.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::buckets::{check_bucket, key_of, remove_temporaries, walk, Buckets};
use crate::observe::logs::Logs;

/// How long a path must stay quiet after its writer closed it (or it was renamed or removed)
/// before its event fires.
const QUIET: Duration = Duration::from_millis(150);
/// How long a path written without a visible close must stay quiet before its event fires.
const QUIET_UNCLOSED: Duration = Duration::from_secs(2);
/// File events waiting for the debouncer; beyond this, notify's thread waits.
const QUEUE: usize = 4096;

/// What the watcher saw happen to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Created or written: a writer may still be at work.
    Written,
    /// Closed after writing, renamed or removed: complete.
    Settled,
}

/// Watches the buckets' folder and reconciles every bucket (its file work on blocking threads),
/// then returns the task that turns changes into events until the runtime stops. `serve` awaits
/// this before it accepts, so once the emulator answers, changes made while it was down have
/// fired and the watcher is on.
/// `index_lost`: the database lost the bucket index, so the scan records what it finds without
/// firing events again.
pub(crate) async fn start(
    buckets: Arc<Buckets>,
    logs: Logs,
    index_lost: bool,
) -> Option<tokio::task::JoinHandle<()>> {
    let root = buckets.root().to_owned();
    if let Err(e) = tokio::fs::create_dir_all(&root).await {
        logs.info(&format!(
            "fnkit-local: cannot create the buckets folder {}: {e}; storage triggers are off",
            root.display()
        ));
        return None;
    }
    // The buckets the functions name exist, as the deploy template creates them on AWS.
    for bucket in buckets.declared_buckets() {
        let _ = tokio::fs::create_dir_all(root.join(bucket)).await;
    }
    let (tx, rx) = mpsc::channel::<(PathBuf, Seen)>(QUEUE);
    // Watch first, then scan: a change made during the scan is seen by one or the other. The
    // watch walks every folder to watch it: off the runtime.
    let watching = (root.clone(), logs.clone());
    let watcher = tokio::task::spawn_blocking(move || watch(&watching.0, tx, &watching.1))
        .await
        .ok()
        .flatten()?;
    scan(&buckets, &logs, index_lost).await;
    Some(tokio::spawn(async move {
        let _keep = watcher;
        debounce(&buckets, &logs, rx).await;
    }))
}

fn watch(
    root: &Path,
    tx: mpsc::Sender<(PathBuf, Seen)>,
    logs: &Logs,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    let handler = move |event: notify::Result<notify::Event>| {
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
            // notify's own thread: waiting here for room is back-pressure, not a blocked runtime.
            let _ = tx.blocking_send((path, seen));
        }
    };
    // Links are not followed: a link out of a bucket, or a loop of links, is not watched.
    let config = notify::Config::default().with_follow_symlinks(false);
    let mut watcher = match notify::RecommendedWatcher::new(handler, config) {
        Ok(w) => w,
        Err(e) => {
            logs.info(&format!("fnkit-local: cannot watch {}: {e}; storage triggers fire only for uploads through the API", root.display()));
            return None;
        }
    };
    if let Err(e) = watcher.watch(root, notify::RecursiveMode::Recursive) {
        logs.info(&format!(
            "fnkit-local: cannot watch {}: {e}",
            root.display()
        ));
        return None;
    }
    Some(watcher)
}

/// Every file of every bucket, and every indexed object that is gone; and the temporaries of
/// uploads a crash cut short, removed.
async fn scan(buckets: &Buckets, logs: &Logs, index_lost: bool) {
    let root = buckets.root().to_owned();
    let scanned = tokio::task::spawn_blocking(move || {
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut removed = 0;
        for b in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let Some(bucket) = b.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if check_bucket(&bucket).is_err() || !b.path().is_dir() {
                continue;
            }
            let dir = b.path();
            removed += remove_temporaries(&dir);
            seen.extend(
                walk(&dir, &dir)
                    .into_iter()
                    .map(|(k, _)| (bucket.clone(), k)),
            );
        }
        (seen, removed)
    })
    .await
    .unwrap_or_default();
    let (on_disk, removed) = scanned;
    if removed > 0 {
        logs.info(&format!(
            "fnkit-local: removed {removed} unfinished upload(s) left in the buckets"
        ));
    }
    let seen: std::collections::HashSet<&(String, String)> = on_disk.iter().collect();
    let indexed = buckets.indexed().await;
    let gone: Vec<(String, String)> = indexed.into_iter().filter(|i| !seen.contains(i)).collect();
    for (bucket, key) in on_disk.iter().cloned().chain(gone) {
        let reconciled = if index_lost {
            buckets.reindex(&bucket, &key).await
        } else {
            buckets.reconcile(&bucket, &key).await
        };
        if let Err(e) = reconciled {
            logs.info(&format!("fnkit-local: {bucket}/{key}: {e}"));
        }
    }
}

/// What a changed path stands for.
#[derive(Debug, PartialEq, Eq)]
enum Changed {
    /// An object (created, written or removed).
    File { bucket: String, key: String },
    /// A folder moved in or out: the keys under it now (and, found later, the keys the index
    /// had under `prefix`).
    Folder {
        bucket: String,
        prefix: String,
        keys: Vec<String>,
    },
}

/// Classifies a changed path under `root`. Blocking (a stat, and a walk for folders).
fn classify(root: &Path, path: &Path) -> Option<Changed> {
    let relative = path.strip_prefix(root).ok()?;
    let bucket = relative
        .components()
        .next()?
        .as_os_str()
        .to_str()?
        .to_owned();
    check_bucket(&bucket).ok()?;
    let bucket_dir = root.join(&bucket);
    if !path.exists() {
        // Gone: a file, or a folder moved away whose objects the index still lists.
        let key = key_of(&bucket_dir, path)?;
        return Some(Changed::Folder {
            bucket,
            prefix: format!("{key}/"),
            keys: vec![key],
        });
    }
    // A link (to a file or a folder) is looked at as a file, never walked through: the
    // reconcile takes it only if it resolves inside the bucket.
    let is_folder = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    if !is_folder {
        let key = key_of(&bucket_dir, path)?;
        return Some(Changed::File { bucket, key });
    }
    let prefix = key_of(&bucket_dir, path)
        .map(|k| format!("{k}/"))
        .unwrap_or_default();
    let keys = walk(&bucket_dir, path)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    Some(Changed::Folder {
        bucket,
        prefix,
        keys,
    })
}

/// Reconciles each changed path once it is complete: quiet for [`QUIET`] after its writer
/// closed it (or it was renamed or removed), or quiet for [`QUIET_UNCLOSED`] otherwise. A file
/// still being written therefore fires once, when it is done.
async fn debounce(buckets: &Buckets, logs: &Logs, mut rx: mpsc::Receiver<(PathBuf, Seen)>) {
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
                // Take what else is queued before looking for the next deadline again, so a bulk
                // copy costs one pass over `pending` per batch, not per file.
                while let Ok((path, seen)) = rx.try_recv() {
                    pending.insert(path, (Instant::now(), seen));
                }
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
            let root = buckets.root().to_owned();
            let (bucket, keys) =
                match tokio::task::spawn_blocking(move || classify(&root, &path)).await {
                    Ok(Some(Changed::File { bucket, key })) => (bucket, vec![key]),
                    Ok(Some(Changed::Folder {
                        bucket,
                        prefix,
                        mut keys,
                    })) => {
                        keys.extend(buckets.indexed_keys(&bucket, &prefix).await);
                        keys.sort();
                        keys.dedup();
                        (bucket, keys)
                    }
                    _ => continue,
                };
            for key in keys {
                if let Err(e) = buckets.reconcile(&bucket, &key).await {
                    logs.info(&format!("fnkit-local: {bucket}/{key}: {e}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_bucket_keys() {
        let root = std::env::temp_dir().join(format!("fnkit-watch-{}", std::process::id()));
        let dir = root.join("uploads/in");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.txt"), "a").unwrap();
        let file = |bucket: &str, key: &str| Changed::File {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        };
        assert_eq!(
            classify(&root, &dir.join("a.txt")),
            Some(file("uploads", "in/a.txt"))
        );
        assert_eq!(
            classify(&root, &dir),
            Some(Changed::Folder {
                bucket: "uploads".to_owned(),
                prefix: "in/".to_owned(),
                keys: vec!["in/a.txt".to_owned()],
            })
        );
        // Gone (a file deleted, or a folder moved away): the key and what the index had under it.
        assert_eq!(
            classify(&root, &dir.join("moved")),
            Some(Changed::Folder {
                bucket: "uploads".to_owned(),
                prefix: "in/moved/".to_owned(),
                keys: vec!["in/moved".to_owned()],
            })
        );
        // Outside the root, a bad bucket name, or a temporary upload file: nothing.
        assert_eq!(classify(&root, Path::new("/elsewhere/x")), None);
        assert_eq!(classify(&root, &root.join("Bad_Bucket/x")), None);
        assert_eq!(classify(&root, &dir.join(".fnkit-upload-1")), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}

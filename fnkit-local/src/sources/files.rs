//! The file side of buckets, all blocking (callers run it on blocking threads): whether a path
//! resolves inside its bucket through links, walks of a bucket's objects (links not followed),
//! the temporaries a crash left, and an object's size, modification time and MD5.

use std::path::Path;
use std::time::UNIX_EPOCH;

use md5::{Digest, Md5};

use crate::work::store::ObjectMeta;

/// Files the upload API writes before renaming them into place.
pub(crate) const TEMP_PREFIX: &str = ".fnkit-upload-";

/// The key of a file inside a bucket folder, if it is an object (not a temporary file).
pub(crate) fn key_of(bucket_dir: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(bucket_dir).ok()?;
    let key = relative.to_str()?.to_owned();
    let temp = relative.components().any(|c| {
        c.as_os_str()
            .to_str()
            .is_some_and(|s| s.starts_with(TEMP_PREFIX))
    });
    (!temp && !key.is_empty()).then_some(key)
}

/// Whether `path` (an object's file, or where one would go) resolves inside `bucket_dir` with
/// every link followed: the path itself when it exists, else its nearest existing folder. A link
/// out of the bucket, or a loop of links, is outside; a dangling link stays where it is (a write
/// replaces the link, a deletion removes it). Blocking.
pub(crate) fn inside(bucket_dir: &Path, path: &Path) -> bool {
    let Ok(bucket) = std::fs::canonicalize(bucket_dir) else {
        return false;
    };
    let mut probe = Some(path);
    while let Some(p) = probe {
        match std::fs::canonicalize(p) {
            Ok(real) => return real.starts_with(&bucket),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => probe = p.parent(),
            Err(_) => return false,
        }
    }
    false
}

/// Every object file under `dir` (a bucket folder or a folder in it), as keys of `bucket_dir`.
/// Blocking.
pub(crate) fn walk(bucket_dir: &Path, dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(ft) = entry.file_type() else { continue };
            let path = entry.path();
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                if let Some(key) = key_of(bucket_dir, &path) {
                    out.push((key, entry.metadata().map(|m| m.len()).unwrap_or(0)));
                }
            }
        }
    }
    out
}

/// Removes the upload temporaries under `bucket_dir` (links not followed) and says how many:
/// at start-up, when no upload is in flight, they are what an upload cut short by a crash left.
/// Blocking.
pub(crate) fn remove_temporaries(bucket_dir: &Path) -> usize {
    let mut removed = 0;
    let mut stack = vec![bucket_dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(ft) = entry.file_type() else { continue };
            let temp = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() && temp && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// A file's size and modification time (ns since the epoch), as the index records them.
pub(crate) fn stamp(metadata: &std::fs::Metadata) -> std::io::Result<(u64, i64)> {
    let mtime_ns = metadata
        .modified()?
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as i64;
    Ok((metadata.len(), mtime_ns))
}

/// The hex MD5 (S3's eTag) and length of a file, streamed. Blocking.
pub(crate) fn md5_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Md5::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((format!("{:x}", hasher.finalize()), size))
}

/// The object's metadata; its content is read (streamed through MD5 for the eTag) only when its
/// size or mtime differ from `known`, so a scan of unchanged buckets only stats files. A file
/// that resolves outside `bucket_dir` (through a link) is no object. Blocking.
pub(crate) fn meta_of(
    bucket_dir: &Path,
    path: &Path,
    known: Option<&ObjectMeta>,
) -> std::io::Result<Option<ObjectMeta>> {
    if !inside(bucket_dir, path) {
        return Ok(None);
    }
    let metadata = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let (size, mtime_ns) = stamp(&metadata)?;
    if let Some(k) = known.filter(|k| k.size == size && k.mtime_ns == mtime_ns) {
        return Ok(Some(k.clone()));
    }
    match md5_file(path) {
        Ok((etag, size)) => Ok(Some(ObjectMeta {
            size,
            mtime_ns,
            etag,
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

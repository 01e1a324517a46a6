//! Listings and buckets: ListObjectsV2 (prefix, delimiter, continuation, start-after, max-keys),
//! CreateBucket, ListBuckets. A bucket is a folder under the buckets root.

use s3s::dto;
use s3s::{s3_error, S3Error, S3Result};

use super::{etag, put_error, timestamp, LocalS3};
use crate::sources::buckets::Listed;

/// S3's default and largest page.
const MAX_KEYS: usize = 1000;

/// One entry of a listing page: an object, or a common prefix standing for the keys under it.
#[derive(Debug)]
pub(super) enum Entry<'a> {
    Object(&'a Listed),
    Prefix(String),
}

impl Entry<'_> {
    fn marker(&self) -> &str {
        match self {
            Entry::Object(o) => &o.key,
            Entry::Prefix(p) => p,
        }
    }
}

/// One page of `objects` (sorted by key, all under `prefix`) after `after`: keys that share the
/// text up to the next `delimiter` after the prefix fold into one common prefix, which counts as
/// one entry. Returns the page and whether more remain.
pub(super) fn page<'a>(
    objects: &'a [Listed],
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max_keys: usize,
) -> (Vec<Entry<'a>>, bool) {
    let mut entries: Vec<Entry<'a>> = Vec::new();
    for object in objects {
        let key = object.key.as_str();
        if let Some(after) = after {
            // A common prefix as the marker stands for every key under it.
            let under_marker =
                delimiter.is_some_and(|d| after.ends_with(d)) && key.starts_with(after);
            if key <= after || under_marker {
                continue;
            }
        }
        let folded = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            key[prefix.len()..]
                .find(d)
                .map(|at| key[..prefix.len() + at + d.len()].to_owned())
        });
        let entry = match folded {
            Some(common) if entries.last().is_some_and(|e| e.marker() == common) => continue,
            Some(common) => Entry::Prefix(common),
            None => Entry::Object(object),
        };
        if entries.len() == max_keys {
            // More remain; a page of zero keys is never "truncated" (it has no next marker).
            return (entries, max_keys > 0);
        }
        entries.push(entry);
    }
    (entries, false)
}

pub(super) async fn list_objects(
    s3: &LocalS3,
    input: dto::ListObjectsV2Input,
) -> S3Result<dto::ListObjectsV2Output> {
    s3.bucket_dir(&input.bucket).await?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let max_keys = input
        .max_keys
        .map_or(MAX_KEYS, |m| usize::try_from(m).unwrap_or(0).min(MAX_KEYS));
    let objects = s3
        .buckets
        .list(&input.bucket, &prefix)
        .await
        .map_err(put_error)?;
    let after = match (&input.continuation_token, &input.start_after) {
        (Some(token), _) => Some(token.as_str()),
        (None, Some(start)) => Some(start.as_str()),
        (None, None) => None,
    };
    let (entries, truncated) = page(
        &objects,
        &prefix,
        input.delimiter.as_deref(),
        after,
        max_keys,
    );
    let next = truncated
        .then(|| entries.last().map(|e| e.marker().to_owned()))
        .flatten();
    let mut contents = Vec::new();
    let mut common = Vec::new();
    for entry in &entries {
        match entry {
            Entry::Object(o) => contents.push(dto::Object {
                key: Some(o.key.clone()),
                size: i64::try_from(o.size).ok(),
                e_tag: o.etag.as_deref().map(etag),
                last_modified: Some(timestamp(o.mtime_ns)),
                storage_class: Some(dto::ObjectStorageClass::from_static(
                    dto::ObjectStorageClass::STANDARD,
                )),
                ..Default::default()
            }),
            Entry::Prefix(p) => common.push(dto::CommonPrefix {
                prefix: Some(p.clone()),
            }),
        }
    }
    Ok(dto::ListObjectsV2Output {
        name: Some(input.bucket),
        prefix: Some(prefix),
        delimiter: input.delimiter,
        max_keys: i32::try_from(max_keys).ok(),
        key_count: i32::try_from(entries.len()).ok(),
        is_truncated: Some(truncated),
        continuation_token: input.continuation_token,
        next_continuation_token: next,
        start_after: input.start_after,
        contents: Some(contents),
        common_prefixes: (!common.is_empty()).then_some(common),
        ..Default::default()
    })
}

pub(super) async fn create_bucket(
    s3: &LocalS3,
    input: dto::CreateBucketInput,
) -> S3Result<dto::CreateBucketOutput> {
    if let Err(e) = fnkit_spec::names::bucket_name(&input.bucket) {
        return Err(s3_error!(InvalidBucketName, "{e}"));
    }
    let dir = s3.buckets.root().join(&input.bucket);
    if tokio::fs::metadata(&dir).await.is_ok_and(|m| m.is_dir()) {
        return Err(s3_error!(
            BucketAlreadyOwnedByYou,
            "the bucket `{}` exists",
            input.bucket
        ));
    }
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(S3Error::internal_error)?;
    Ok(dto::CreateBucketOutput {
        location: Some(format!("/{}", input.bucket)),
    })
}

pub(super) async fn list_buckets(s3: &LocalS3) -> S3Result<dto::ListBucketsOutput> {
    let mut buckets = Vec::new();
    let mut dir = match tokio::fs::read_dir(s3.buckets.root()).await {
        Ok(dir) => dir,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(dto::ListBucketsOutput::default())
        }
        Err(e) => return Err(S3Error::internal_error(e)),
    };
    while let Some(entry) = dir.next_entry().await.map_err(S3Error::internal_error)? {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(meta) = entry.metadata().await else {
            continue;
        };
        if meta.is_dir() && fnkit_spec::names::bucket_name(&name).is_ok() {
            let created = meta.created().or_else(|_| meta.modified()).ok();
            buckets.push(dto::Bucket {
                name: Some(name),
                creation_date: created.map(dto::Timestamp::from),
                ..Default::default()
            });
        }
    }
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(dto::ListBucketsOutput {
        buckets: Some(buckets),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(keys: &[&str]) -> Vec<Listed> {
        keys.iter()
            .map(|k| Listed {
                key: (*k).to_owned(),
                size: 1,
                etag: None,
                mtime_ns: 0,
            })
            .collect()
    }

    fn markers(entries: &[Entry<'_>]) -> Vec<String> {
        entries.iter().map(|e| e.marker().to_owned()).collect()
    }

    #[test]
    fn a_delimiter_folds_keys_into_common_prefixes() {
        let all = objects(&["a/1", "a/2", "b", "c/x/1", "c/y"]);
        let (entries, more) = page(&all, "", Some("/"), None, 1000);
        assert_eq!(markers(&entries), ["a/", "b", "c/"]);
        assert!(!more);
        let under_c = objects(&["c/x/1", "c/y"]);
        let (entries, _) = page(&under_c, "c/", Some("/"), None, 1000);
        assert_eq!(markers(&entries), ["c/x/", "c/y"]);
        assert!(matches!(entries[1], Entry::Object(_)));
    }

    #[test]
    fn pages_continue_after_the_last_entry_even_a_common_prefix() {
        let all = objects(&["a/1", "a/2", "b", "c"]);
        let (first, more) = page(&all, "", Some("/"), None, 1);
        assert_eq!(markers(&first), ["a/"]);
        assert!(more);
        let (second, more) = page(&all, "", Some("/"), Some("a/"), 1);
        assert_eq!(markers(&second), ["b"]);
        assert!(more);
        let (third, more) = page(&all, "", Some("/"), Some("b"), 1);
        assert_eq!(markers(&third), ["c"]);
        assert!(!more);
        let (none, more) = page(&all, "", None, None, 0);
        assert!(none.is_empty() && !more);
    }
}

//! Object operations: PutObject, GetObject (with Range), HeadObject, DeleteObject,
//! DeleteObjects and CopyObject. Writes go to a temporary file in the bucket folder and are
//! committed through [`Buckets::commit`](crate::sources::buckets::Buckets::commit), which fires
//! the storage trigger with the eTag answered here.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use s3s::dto::{self, StreamingBlob};
use s3s::{s3_error, S3Error, S3Result};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{etag, put_error, timestamp, LocalS3};
use crate::sources::buckets::{KeyError, PutError};
use crate::work::store::ObjectMeta;

/// Streams `body` into a new file at `temp` (which its owner removes if this fails or is
/// dropped: a client that hung up mid-body).
pub(super) async fn write_body(temp: &Path, body: Option<StreamingBlob>) -> S3Result<()> {
    let mut file = tokio::fs::File::create(temp)
        .await
        .map_err(S3Error::internal_error)?;
    if let Some(mut body) = body {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| s3_error!(IncompleteBody, "{e}"))?;
            file.write_all(&chunk)
                .await
                .map_err(S3Error::internal_error)?;
        }
    }
    file.flush().await.map_err(S3Error::internal_error)
}

pub(super) async fn put(
    s3: &LocalS3,
    input: dto::PutObjectInput,
) -> S3Result<dto::PutObjectOutput> {
    s3.bucket_dir(&input.bucket).await?;
    let temp = s3
        .buckets
        .temp_for(&input.bucket, &input.key)
        .await
        .map_err(put_error)?;
    write_body(temp.path(), input.body).await?;
    let meta = s3
        .buckets
        .commit(&input.bucket, &input.key, temp, None)
        .await
        .map_err(put_error)?;
    Ok(dto::PutObjectOutput {
        e_tag: Some(etag(&meta.etag)),
        size: i64::try_from(meta.size).ok(),
        ..Default::default()
    })
}

/// The object's file and current entry (reconciled, so a file written by hand is known), or
/// `NoSuchKey` (`AccessDenied` for a key that resolves outside its bucket through a link).
async fn current(s3: &LocalS3, bucket: &str, key: &str) -> S3Result<(PathBuf, ObjectMeta)> {
    s3.bucket_dir(bucket).await?;
    let no_such_key = || s3_error!(NoSuchKey, "no object `{key}` in bucket `{bucket}`");
    match s3.buckets.current(bucket, key).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(no_such_key()),
        Err(PutError::Key(outside @ KeyError::Outside(_))) => {
            Err(s3_error!(AccessDenied, "{outside}"))
        }
        Err(PutError::Key(_)) => Err(no_such_key()),
        Err(PutError::Io(e)) => Err(S3Error::internal_error(e)),
    }
}

pub(super) async fn get(
    s3: &LocalS3,
    input: dto::GetObjectInput,
) -> S3Result<dto::GetObjectOutput> {
    let (path, meta) = current(s3, &input.bucket, &input.key).await?;
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(s3_error!(NoSuchKey)),
        Err(e) => return Err(S3Error::internal_error(e)),
    };
    let (start, count, content_range) = match &input.range {
        Some(range) => {
            let span = range.check(meta.size).map_err(|_| {
                s3_error!(
                    InvalidRange,
                    "the range is outside the object's {} bytes",
                    meta.size
                )
            })?;
            let range_header = format!("bytes {}-{}/{}", span.start, span.end - 1, meta.size);
            (span.start, span.end - span.start, Some(range_header))
        }
        None => (0, meta.size, None),
    };
    file.seek(SeekFrom::Start(start))
        .await
        .map_err(S3Error::internal_error)?;
    let stream = tokio_util::io::ReaderStream::new(file.take(count));
    Ok(dto::GetObjectOutput {
        body: Some(StreamingBlob::wrap(stream)),
        content_length: i64::try_from(count).ok(),
        content_range,
        accept_ranges: Some("bytes".into()),
        e_tag: Some(etag(&meta.etag)),
        last_modified: Some(timestamp(meta.mtime_ns)),
        ..Default::default()
    })
}

pub(super) async fn head(
    s3: &LocalS3,
    input: dto::HeadObjectInput,
) -> S3Result<dto::HeadObjectOutput> {
    let (_, meta) = current(s3, &input.bucket, &input.key).await?;
    Ok(dto::HeadObjectOutput {
        content_length: i64::try_from(meta.size).ok(),
        accept_ranges: Some("bytes".into()),
        e_tag: Some(etag(&meta.etag)),
        last_modified: Some(timestamp(meta.mtime_ns)),
        ..Default::default()
    })
}

pub(super) async fn delete(
    s3: &LocalS3,
    input: dto::DeleteObjectInput,
) -> S3Result<dto::DeleteObjectOutput> {
    s3.bucket_dir(&input.bucket).await?;
    // S3 answers 204 whether or not the object existed; a key no object can have is one of those.
    if s3.buckets.object_path(&input.bucket, &input.key).is_ok() {
        s3.buckets
            .delete(&input.bucket, &input.key)
            .await
            .map_err(put_error)?;
    }
    Ok(dto::DeleteObjectOutput::default())
}

pub(super) async fn delete_many(
    s3: &LocalS3,
    input: dto::DeleteObjectsInput,
) -> S3Result<dto::DeleteObjectsOutput> {
    s3.bucket_dir(&input.bucket).await?;
    let quiet = input.delete.quiet.unwrap_or(false);
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    for object in input.delete.objects {
        let key = object.key;
        let outcome = match s3.buckets.object_path(&input.bucket, &key) {
            Ok(_) => s3.buckets.delete(&input.bucket, &key).await.map(|_| ()),
            Err(_) => Ok(()),
        };
        match outcome {
            Ok(()) if quiet => {}
            Ok(()) => deleted.push(dto::DeletedObject {
                key: Some(key),
                ..Default::default()
            }),
            Err(e) => errors.push(dto::Error {
                code: Some(match e {
                    PutError::Key(KeyError::Outside(_)) => "AccessDenied".into(),
                    _ => "InternalError".into(),
                }),
                message: Some(e.to_string()),
                key: Some(key),
                ..Default::default()
            }),
        }
    }
    Ok(dto::DeleteObjectsOutput {
        deleted: (!deleted.is_empty()).then_some(deleted),
        errors: (!errors.is_empty()).then_some(errors),
        ..Default::default()
    })
}

pub(super) async fn copy(
    s3: &LocalS3,
    input: dto::CopyObjectInput,
) -> S3Result<dto::CopyObjectOutput> {
    let (src_bucket, src_key) = match &input.copy_source {
        dto::CopySource::Bucket { bucket, key, .. } => (bucket.to_string(), key.to_string()),
        _ => {
            return Err(s3_error!(
                NotImplemented,
                "only `bucket/key` copy sources are served"
            ))
        }
    };
    let (source, _) = current(s3, &src_bucket, &src_key).await?;
    s3.bucket_dir(&input.bucket).await?;
    let temp = s3
        .buckets
        .temp_for(&input.bucket, &input.key)
        .await
        .map_err(put_error)?;
    tokio::fs::copy(&source, temp.path())
        .await
        .map_err(S3Error::internal_error)?;
    let meta = s3
        .buckets
        .commit(&input.bucket, &input.key, temp, None)
        .await
        .map_err(put_error)?;
    Ok(dto::CopyObjectOutput {
        copy_object_result: Some(dto::CopyObjectResult {
            e_tag: Some(etag(&meta.etag)),
            last_modified: Some(timestamp(meta.mtime_ns)),
            ..Default::default()
        }),
        ..Default::default()
    })
}

//! Multipart uploads: CreateMultipartUpload, UploadPart, ListParts, CompleteMultipartUpload and
//! AbortMultipartUpload. Parts wait under `<state-dir>/multipart/<upload-id>/` (out of the
//! watcher's sight); completing concatenates them into the object, whose eTag is S3's
//! `<MD5 of the parts' MD5s>-<parts>`, recorded so the storage event carries the same one.

use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use s3s::dto;
use s3s::{s3_error, S3Error, S3Result};

use super::objects::write_body;
use super::{etag, put_error, LocalS3};

/// S3's smallest part, except the last.
const MIN_PART: u64 = 5 * 1024 * 1024;

/// The bucket and key an upload is for.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Upload {
    bucket: String,
    key: String,
}

fn part_file(dir: &Path, number: i32) -> PathBuf {
    dir.join(format!("part-{number:05}"))
}

/// The upload's folder and what it is for, or `NoSuchUpload`.
async fn open(s3: &LocalS3, upload_id: &str, bucket: &str, key: &str) -> S3Result<PathBuf> {
    let no_such = || s3_error!(NoSuchUpload, "no upload `{upload_id}` for {bucket}/{key}");
    if upload_id.is_empty() || !upload_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(no_such());
    }
    let dir = s3.uploads.join(upload_id);
    let text = tokio::fs::read(dir.join("upload.json"))
        .await
        .map_err(|_| no_such())?;
    let upload: Upload = serde_json::from_slice(&text).map_err(|_| no_such())?;
    if upload.bucket != bucket || upload.key != key {
        return Err(no_such());
    }
    Ok(dir)
}

pub(super) async fn create(
    s3: &LocalS3,
    input: dto::CreateMultipartUploadInput,
) -> S3Result<dto::CreateMultipartUploadOutput> {
    s3.bucket_dir(&input.bucket).await?;
    s3.buckets
        .resolve(&input.bucket, &input.key)
        .await
        .map_err(|e| put_error(e.into()))?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dir = s3.uploads.join(&id);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(S3Error::internal_error)?;
    let upload = Upload {
        bucket: input.bucket.clone(),
        key: input.key.clone(),
    };
    let json = serde_json::to_vec(&upload).map_err(S3Error::internal_error)?;
    tokio::fs::write(dir.join("upload.json"), json)
        .await
        .map_err(S3Error::internal_error)?;
    Ok(dto::CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(id),
        ..Default::default()
    })
}

/// The MD5 of a file, hex, off the runtime.
async fn md5_file(path: PathBuf) -> S3Result<String> {
    tokio::task::spawn_blocking(move || crate::sources::buckets::md5_file(&path))
        .await
        .map_err(S3Error::internal_error)?
        .map(|(md5, _)| md5)
        .map_err(S3Error::internal_error)
}

pub(super) async fn upload_part(
    s3: &LocalS3,
    input: dto::UploadPartInput,
) -> S3Result<dto::UploadPartOutput> {
    if !(1..=10_000).contains(&input.part_number) {
        return Err(s3_error!(InvalidArgument, "a part number is 1 to 10000"));
    }
    let dir = open(s3, &input.upload_id, &input.bucket, &input.key).await?;
    let part = part_file(&dir, input.part_number);
    let temp = dir.join(format!("incoming-{}", uuid::Uuid::new_v4().simple()));
    write_body(&temp, input.body).await?;
    let md5 = md5_file(temp.clone()).await?;
    tokio::fs::write(part.with_extension("etag"), &md5)
        .await
        .map_err(S3Error::internal_error)?;
    tokio::fs::rename(&temp, &part)
        .await
        .map_err(S3Error::internal_error)?;
    Ok(dto::UploadPartOutput {
        e_tag: Some(etag(&md5)),
        ..Default::default()
    })
}

/// The uploaded parts: number, size, eTag, sorted by number.
async fn parts(dir: &Path) -> S3Result<Vec<(i32, u64, String)>> {
    let mut found = Vec::new();
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(S3Error::internal_error)?;
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(S3Error::internal_error)?
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(number) = name
            .strip_prefix("part-")
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let size = entry.metadata().await.map(|m| m.len()).unwrap_or(0);
        let md5 = tokio::fs::read_to_string(entry.path().with_extension("etag"))
            .await
            .unwrap_or_default();
        found.push((number, size, md5));
    }
    found.sort_by_key(|(n, _, _)| *n);
    Ok(found)
}

pub(super) async fn list_parts(
    s3: &LocalS3,
    input: dto::ListPartsInput,
) -> S3Result<dto::ListPartsOutput> {
    let dir = open(s3, &input.upload_id, &input.bucket, &input.key).await?;
    let parts = parts(&dir)
        .await?
        .into_iter()
        .map(|(number, size, md5)| dto::Part {
            part_number: Some(number),
            size: i64::try_from(size).ok(),
            e_tag: Some(etag(&md5)),
            ..Default::default()
        })
        .collect();
    Ok(dto::ListPartsOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(input.upload_id),
        parts: Some(parts),
        is_truncated: Some(false),
        ..Default::default()
    })
}

/// Checks the parts a completion names against those uploaded: ascending numbers, matching
/// eTags, every part but the last at least 5 MiB. Returns the files in order and the eTag.
fn plan(
    dir: &Path,
    named: &[dto::CompletedPart],
    uploaded: &[(i32, u64, String)],
) -> S3Result<(Vec<PathBuf>, String)> {
    if named.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "a completion names at least one part"
        ));
    }
    let mut files = Vec::new();
    let mut digest = Md5::new();
    let mut previous = 0;
    for (index, part) in named.iter().enumerate() {
        let number = part.part_number.unwrap_or_default();
        if number <= previous {
            return Err(s3_error!(
                InvalidPartOrder,
                "parts must be listed in ascending order"
            ));
        }
        previous = number;
        let Some((_, size, md5)) = uploaded.iter().find(|(n, _, _)| *n == number) else {
            return Err(s3_error!(InvalidPart, "part {number} was not uploaded"));
        };
        let given = match &part.e_tag {
            Some(dto::ETag::Strong(v) | dto::ETag::Weak(v)) => v.trim_matches('"').to_owned(),
            None => String::new(),
        };
        if given != *md5 {
            return Err(s3_error!(
                InvalidPart,
                "part {number}'s eTag does not match"
            ));
        }
        if index + 1 < named.len() && *size < MIN_PART {
            return Err(s3_error!(
                EntityTooSmall,
                "part {number} is {size} bytes; all but the last part must be at least 5 MiB"
            ));
        }
        let raw = (0..md5.len() / 2)
            .filter_map(|i| u8::from_str_radix(&md5[2 * i..2 * i + 2], 16).ok())
            .collect::<Vec<u8>>();
        digest.update(&raw);
        files.push(part_file(dir, number));
    }
    Ok((files, format!("{:x}-{}", digest.finalize(), named.len())))
}

pub(super) async fn complete(
    s3: &LocalS3,
    input: dto::CompleteMultipartUploadInput,
) -> S3Result<dto::CompleteMultipartUploadOutput> {
    let dir = open(s3, &input.upload_id, &input.bucket, &input.key).await?;
    let named = input
        .multipart_upload
        .and_then(|m| m.parts)
        .unwrap_or_default();
    let uploaded = parts(&dir).await?;
    let (files, object_etag) = plan(&dir, &named, &uploaded)?;
    let temp = s3
        .buckets
        .temp_for(&input.bucket, &input.key)
        .await
        .map_err(put_error)?;
    let target = temp.path().to_owned();
    let joined = tokio::task::spawn_blocking(move || {
        let mut out = std::fs::File::create(&target)?;
        for file in files {
            std::io::copy(&mut std::fs::File::open(file)?, &mut out)?;
        }
        out.sync_all()
    })
    .await
    .map_err(S3Error::internal_error)?;
    joined.map_err(S3Error::internal_error)?;
    s3.buckets
        .commit(&input.bucket, &input.key, temp, Some(object_etag.clone()))
        .await
        .map_err(put_error)?;
    let _ = tokio::fs::remove_dir_all(&dir).await;
    Ok(dto::CompleteMultipartUploadOutput {
        bucket: Some(input.bucket.clone()),
        key: Some(input.key.clone()),
        e_tag: Some(etag(&object_etag)),
        location: Some(format!("/{}/{}", input.bucket, input.key)),
        ..Default::default()
    })
}

pub(super) async fn abort(
    s3: &LocalS3,
    input: dto::AbortMultipartUploadInput,
) -> S3Result<dto::AbortMultipartUploadOutput> {
    let dir = open(s3, &input.upload_id, &input.bucket, &input.key).await?;
    tokio::fs::remove_dir_all(&dir)
        .await
        .map_err(S3Error::internal_error)?;
    Ok(dto::AbortMultipartUploadOutput::default())
}

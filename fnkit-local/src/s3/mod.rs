//! The S3 API on the emulator's port, over the bucket folders: the official SDKs (aws-sdk-s3,
//! boto3, the AWS CLI) work unchanged with `AWS_ENDPOINT_URL` and path-style addressing. s3s
//! parses requests and writes responses and errors (S3's XML); [`LocalS3`] implements the
//! operations on [`Buckets`], so an object written here fires the storage trigger exactly as the
//! upload API and the watcher do.
//!
//! | file | operations |
//! |---|---|
//! | `objects.rs` | PutObject, GetObject (Range), HeadObject, DeleteObject, DeleteObjects, CopyObject |
//! | `listing.rs` | ListObjectsV2, CreateBucket, HeadBucket, ListBuckets |
//! | `multipart.rs` | CreateMultipartUpload, UploadPart, ListParts, CompleteMultipartUpload, AbortMultipartUpload |
//! | `request.rs` | signature removal (any credentials are accepted) and `aws-chunked` decoding |

mod listing;
mod multipart;
mod objects;
pub(crate) mod request;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use s3s::dto::{self, Timestamp};
use s3s::{s3_error, S3Error, S3Request, S3Response, S3Result};

use crate::sources::buckets::{Buckets, KeyError, PutError};

/// A streamed answer (an object's bytes) or a whole one.
pub(crate) type BoxBody = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// The S3 operations over the bucket folders.
#[derive(Debug)]
pub(crate) struct LocalS3 {
    buckets: Arc<Buckets>,
    /// Where multipart uploads keep their parts until completed or aborted (under the state
    /// directory, not the buckets', so the watcher never sees them).
    uploads: PathBuf,
}

/// Builds the S3 service: path-style addressing (no host is configured), no signature check.
pub(crate) fn service(buckets: Arc<Buckets>, uploads: PathBuf) -> s3s::service::S3Service {
    s3s::service::S3ServiceBuilder::new(LocalS3 { buckets, uploads }).build()
}

/// Answers one S3 request.
pub(crate) async fn handle(
    service: &s3s::service::S3Service,
    req: http::Request<Incoming>,
) -> Response<BoxBody> {
    let req = match request::prepare(req).await {
        Ok(req) => req,
        Err(e) => return error_xml(StatusCode::BAD_REQUEST, "InvalidRequest", &e.to_string()),
    };
    match service.call(req).await {
        Ok(res) => res.map(|b| b.map_err(|e| e as Box<_>).boxed_unsync()),
        Err(e) => error_xml(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("{e:?}"),
        ),
    }
}

/// An S3 error document, for the failures before s3s parses the request.
fn error_xml(status: StatusCode, code: &str, message: &str) -> Response<BoxBody> {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{escaped}</Message></Error>"
    );
    let body = http_body_util::Full::new(Bytes::from(xml))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    res
}

impl LocalS3 {
    /// The bucket's folder, or `NoSuchBucket` / `InvalidBucketName`.
    async fn bucket_dir(&self, bucket: &str) -> S3Result<PathBuf> {
        if let Err(e) = fnkit_spec::names::bucket_name(bucket) {
            return Err(s3_error!(InvalidBucketName, "{e}"));
        }
        let dir = self.buckets.root().join(bucket);
        match tokio::fs::metadata(&dir).await {
            Ok(m) if m.is_dir() => Ok(dir),
            _ => Err(s3_error!(
                NoSuchBucket,
                "the bucket `{bucket}` does not exist (create it with CreateBucket, or name it in a storage trigger)"
            )),
        }
    }
}

/// What a failed write of the buckets becomes: a refused key is `InvalidArgument` (400), one
/// that resolves outside its bucket through a link `AccessDenied` (403), and nothing is written.
fn put_error(e: PutError) -> S3Error {
    match e {
        PutError::Key(KeyError::Bucket(b)) => s3_error!(InvalidBucketName, "{b}"),
        PutError::Key(outside @ KeyError::Outside(_)) => s3_error!(AccessDenied, "{outside}"),
        PutError::Key(k) => s3_error!(InvalidArgument, "{k}"),
        PutError::Io(io) => S3Error::internal_error(io),
    }
}

/// An eTag as s3s writes it (quoted by s3s).
fn etag(value: &str) -> dto::ETag {
    dto::ETag::Strong(value.to_owned())
}

fn timestamp(mtime_ns: i64) -> Timestamp {
    let since = Duration::from_nanos(u64::try_from(mtime_ns).unwrap_or_default());
    Timestamp::from(UNIX_EPOCH + since)
}

#[async_trait::async_trait]
impl s3s::S3 for LocalS3 {
    async fn put_object(
        &self,
        req: S3Request<dto::PutObjectInput>,
    ) -> S3Result<S3Response<dto::PutObjectOutput>> {
        objects::put(self, req.input).await.map(S3Response::new)
    }

    async fn get_object(
        &self,
        req: S3Request<dto::GetObjectInput>,
    ) -> S3Result<S3Response<dto::GetObjectOutput>> {
        objects::get(self, req.input).await.map(S3Response::new)
    }

    async fn head_object(
        &self,
        req: S3Request<dto::HeadObjectInput>,
    ) -> S3Result<S3Response<dto::HeadObjectOutput>> {
        objects::head(self, req.input).await.map(S3Response::new)
    }

    async fn delete_object(
        &self,
        req: S3Request<dto::DeleteObjectInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectOutput>> {
        objects::delete(self, req.input).await.map(S3Response::new)
    }

    async fn delete_objects(
        &self,
        req: S3Request<dto::DeleteObjectsInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectsOutput>> {
        objects::delete_many(self, req.input)
            .await
            .map(S3Response::new)
    }

    async fn copy_object(
        &self,
        req: S3Request<dto::CopyObjectInput>,
    ) -> S3Result<S3Response<dto::CopyObjectOutput>> {
        objects::copy(self, req.input).await.map(S3Response::new)
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<dto::ListObjectsV2Input>,
    ) -> S3Result<S3Response<dto::ListObjectsV2Output>> {
        listing::list_objects(self, req.input)
            .await
            .map(S3Response::new)
    }

    async fn create_bucket(
        &self,
        req: S3Request<dto::CreateBucketInput>,
    ) -> S3Result<S3Response<dto::CreateBucketOutput>> {
        listing::create_bucket(self, req.input)
            .await
            .map(S3Response::new)
    }

    async fn head_bucket(
        &self,
        req: S3Request<dto::HeadBucketInput>,
    ) -> S3Result<S3Response<dto::HeadBucketOutput>> {
        self.bucket_dir(&req.input.bucket).await?;
        Ok(S3Response::new(dto::HeadBucketOutput::default()))
    }

    async fn list_buckets(
        &self,
        _req: S3Request<dto::ListBucketsInput>,
    ) -> S3Result<S3Response<dto::ListBucketsOutput>> {
        listing::list_buckets(self).await.map(S3Response::new)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<dto::CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CreateMultipartUploadOutput>> {
        multipart::create(self, req.input)
            .await
            .map(S3Response::new)
    }

    async fn upload_part(
        &self,
        req: S3Request<dto::UploadPartInput>,
    ) -> S3Result<S3Response<dto::UploadPartOutput>> {
        multipart::upload_part(self, req.input)
            .await
            .map(S3Response::new)
    }

    async fn list_parts(
        &self,
        req: S3Request<dto::ListPartsInput>,
    ) -> S3Result<S3Response<dto::ListPartsOutput>> {
        multipart::list_parts(self, req.input)
            .await
            .map(S3Response::new)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<dto::CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CompleteMultipartUploadOutput>> {
        multipart::complete(self, req.input)
            .await
            .map(S3Response::new)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<dto::AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::AbortMultipartUploadOutput>> {
        multipart::abort(self, req.input).await.map(S3Response::new)
    }
}

//! `/_fnkit/buckets/{bucket}[/{key}]`: list a bucket, and upload (PUT), download (GET) or delete
//! an object. An upload or deletion fires the bucket's storage functions exactly as a file
//! written into the bucket's folder does: both go through `sources::buckets`.

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::reply::{body, empty, json, message, percent_decode_exact, query, Reply};
use super::Front;
use crate::sources::buckets::{KeyError, PutError};

/// The largest object the upload API takes.
const MAX_OBJECT_BYTES: usize = 64 * 1024 * 1024;

fn refused(e: PutError) -> Reply {
    match e {
        PutError::Key(k @ KeyError::Outside(_)) => message(StatusCode::FORBIDDEN, k),
        PutError::Key(k) => message(StatusCode::BAD_REQUEST, k),
        PutError::Io(io) => message(StatusCode::INTERNAL_SERVER_ERROR, io),
    }
}

/// `segments`: the path after `/_fnkit/buckets/`, split once (`[bucket]` or `[bucket, key]`).
pub(crate) async fn handle(front: &Front, segments: &[&str], req: Request<Incoming>) -> Reply {
    match (segments, req.method()) {
        ([bucket], &Method::GET) => {
            let prefix = query(&req, "prefix").unwrap_or_default();
            match front.buckets.list(bucket, &prefix).await {
                Ok(listed) => {
                    let objects: Vec<serde_json::Value> = listed
                        .into_iter()
                        .map(|o| serde_json::json!({"key": o.key, "size": o.size, "etag": o.etag}))
                        .collect();
                    json(
                        StatusCode::OK,
                        &serde_json::json!({"bucket": bucket, "prefix": prefix, "objects": objects}),
                    )
                }
                Err(e) => refused(e),
            }
        }
        ([bucket, key], _) => match percent_decode_exact(key) {
            Some(key) => object(front, bucket, &key, req).await,
            None => message(
                StatusCode::BAD_REQUEST,
                "the key is not UTF-8 once percent-decoded (S3 keys are UTF-8)",
            ),
        },
        _ => super::admin::not_found(),
    }
}

async fn object(front: &Front, bucket: &str, key: &str, req: Request<Incoming>) -> Reply {
    match req.method().clone() {
        Method::PUT => {
            let bytes = match body(req, MAX_OBJECT_BYTES).await {
                Ok((_, bytes)) => bytes,
                Err(e) => {
                    let m = format!("objects are limited to {MAX_OBJECT_BYTES} bytes here");
                    return e.answer(message(StatusCode::PAYLOAD_TOO_LARGE, m));
                }
            };
            match front.buckets.put(bucket, key, bytes).await {
                Ok(meta) => json(
                    StatusCode::OK,
                    &serde_json::json!({"bucket": bucket, "key": key, "size": meta.size, "etag": meta.etag}),
                ),
                Err(e) => refused(e),
            }
        }
        Method::DELETE => match front.buckets.delete(bucket, key).await {
            Ok(_) => empty(StatusCode::NO_CONTENT),
            Err(e) => refused(e),
        },
        Method::GET => {
            let path = match front.buckets.resolve(bucket, key).await {
                Ok(p) => p,
                Err(e) => return refused(e.into()),
            };
            match tokio::fs::read(&path).await {
                Ok(bytes) => {
                    let mut r = Response::new(Full::new(Bytes::from(bytes)));
                    r.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/octet-stream"),
                    );
                    r
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    message(StatusCode::NOT_FOUND, format!("no object {bucket}/{key}"))
                }
                Err(e) => message(StatusCode::INTERNAL_SERVER_ERROR, e),
            }
        }
        _ => message(StatusCode::METHOD_NOT_ALLOWED, "use PUT, GET or DELETE"),
    }
}

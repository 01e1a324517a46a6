//! The event APIs under `/_fnkit/`: buckets (upload, download, delete, list), queues (send,
//! counts, dead-letter queue and redrive), schedules (fire now) and the dead-letter store of
//! asynchronous invocations.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::core::Core;
use crate::server::{body, json, query, Reply, MAX_ASYNC_PAYLOAD_BYTES};
use crate::storage::{self, PutError};
use crate::store::{Kind, NewMessage};

/// The largest object the upload API takes.
const MAX_OBJECT_BYTES: usize = 64 * 1024 * 1024;
/// The largest queue message (SQS: 256 KB).
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

fn bad_request(message: impl std::fmt::Display) -> Reply {
    json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({"message": message.to_string()}),
    )
}

fn internal(message: impl std::fmt::Display) -> Reply {
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        &serde_json::json!({"message": message.to_string()}),
    )
}

/// Handles `rest` (the path after `/_fnkit/`) if it is an event API; `Err(req)` otherwise.
pub(crate) async fn handle(
    core: Arc<Core>,
    rest: &str,
    req: Request<Incoming>,
) -> Result<Reply, Request<Incoming>> {
    let segments: Vec<&str> = rest.splitn(3, '/').collect();
    let method = req.method().clone();
    Ok(match (segments.as_slice(), &method) {
        (["buckets", bucket], &Method::GET) => {
            let prefix = query(&req, "prefix").unwrap_or_default();
            match storage::list(&core, bucket, &prefix) {
                Ok(objects) => json(
                    StatusCode::OK,
                    &serde_json::json!({"bucket": bucket, "prefix": prefix, "objects": objects}),
                ),
                Err(e) => bad_request(e),
            }
        }
        (["buckets", bucket, key], _) => {
            let key = percent_encoding::percent_decode_str(key)
                .decode_utf8_lossy()
                .into_owned();
            object(&core, bucket, &key, req).await
        }
        (["queues", name, "messages"], &Method::POST) => send(&core, name, req).await,
        (["queues", name], &Method::GET) => match core.store.queue_counts(name) {
            Ok(counts) => {
                let dlq = core
                    .store
                    .queue_counts(&format!("{name}-dlq"))
                    .unwrap_or_default();
                json(
                    StatusCode::OK,
                    &serde_json::json!({"queue": name, "depth": counts.depth, "delayed": counts.delayed, "in_flight": counts.in_flight, "dlq_depth": dlq.depth}),
                )
            }
            Err(e) => internal(e),
        },
        (["queues", name, "dlq"], &Method::GET) => {
            match core.store.list(true, &format!("{name}-dlq"), None, 1000) {
                Ok(messages) => json(
                    StatusCode::OK,
                    &serde_json::json!({"queue": format!("{name}-dlq"), "messages": messages}),
                ),
                Err(e) => internal(e),
            }
        }
        (["queues", name, "dlq/redrive"], &Method::POST) => {
            match core.store.redrive_queue(&format!("{name}-dlq"), name) {
                Ok(n) => {
                    core.wake(Kind::Queue, name);
                    json(
                        StatusCode::OK,
                        &serde_json::json!({"queue": name, "redriven": n}),
                    )
                }
                Err(e) => internal(e),
            }
        }
        (["schedules", function], &Method::POST) => {
            match crate::schedule::fire(&core, function, std::time::SystemTime::now()) {
                Ok(id) => {
                    let mut r = json(
                        StatusCode::ACCEPTED,
                        &serde_json::json!({"function": function, "id": id}),
                    );
                    if let Ok(v) = http::HeaderValue::from_str(&id) {
                        r.headers_mut().insert("x-amzn-requestid", v);
                    }
                    r
                }
                Err(e) => json(StatusCode::NOT_FOUND, &serde_json::json!({"message": e})),
            }
        }
        (["async", function, "dead"], &Method::GET) => {
            match core.store.list(false, function, Some("dead"), 1000) {
                Ok(messages) => json(
                    StatusCode::OK,
                    &serde_json::json!({"function": function, "messages": messages}),
                ),
                Err(e) => internal(e),
            }
        }
        (["async", function, "redrive"], &Method::POST) => match core.store.redrive_async(function)
        {
            Ok(n) => {
                core.wake(Kind::Async, function);
                json(
                    StatusCode::OK,
                    &serde_json::json!({"function": function, "redriven": n}),
                )
            }
            Err(e) => internal(e),
        },
        _ => return Err(req),
    })
}

async fn object(core: &Core, bucket: &str, key: &str, req: Request<Incoming>) -> Reply {
    let refused = |e: PutError| match e {
        PutError::Key(k) => bad_request(k),
        PutError::Io(io) => internal(io),
    };
    match req.method().clone() {
        Method::PUT => {
            let Ok((_, bytes)) = body(req, MAX_OBJECT_BYTES).await else {
                return json(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &serde_json::json!({"message": format!("objects are limited to {MAX_OBJECT_BYTES} bytes here")}),
                );
            };
            match storage::put(core, bucket, key, &bytes).await {
                Ok(meta) => json(
                    StatusCode::OK,
                    &serde_json::json!({"bucket": bucket, "key": key, "size": meta.size, "etag": meta.etag}),
                ),
                Err(e) => refused(e),
            }
        }
        Method::DELETE => match storage::delete(core, bucket, key).await {
            Ok(_) => Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Full::default())
                .unwrap_or_default(),
            Err(e) => refused(e),
        },
        Method::GET => {
            let path = match storage::object_path(&core.config.buckets_root(), bucket, key) {
                Ok(p) => p,
                Err(e) => return bad_request(e),
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
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => json(
                    StatusCode::NOT_FOUND,
                    &serde_json::json!({"message": format!("no object {bucket}/{key}")}),
                ),
                Err(e) => internal(e),
            }
        }
        _ => json(
            StatusCode::METHOD_NOT_ALLOWED,
            &serde_json::json!({"message": "use PUT, GET or DELETE"}),
        ),
    }
}

/// `POST /_fnkit/queues/{name}/messages`: one message or an array; each either any JSON value
/// (the body) or `{"body": ..., "attributes": {...}, "delay_seconds": n}`.
async fn send(core: &Core, queue: &str, req: Request<Incoming>) -> Reply {
    if let Err(e) = fnkit_spec::names::queue_name(queue) {
        return bad_request(e);
    }
    let default_delay: u64 = query(&req, "delay_seconds")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    let Ok((_, bytes)) = body(req, 10 * MAX_MESSAGE_BYTES).await else {
        return json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &serde_json::json!({"message": "a batch is limited to 2.5 MB"}),
        );
    };
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("the body is not JSON: {e}")),
    };
    let items = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    let mut messages = Vec::with_capacity(items.len());
    for item in items {
        let (body, attributes, delay) = match item {
            serde_json::Value::Object(mut o) if o.contains_key("body") => {
                let body = match o.remove("body") {
                    Some(serde_json::Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                let attributes = o
                    .remove("attributes")
                    .unwrap_or_else(|| serde_json::json!({}));
                if !attributes.is_object() {
                    return bad_request("`attributes` must be an object of strings");
                }
                let delay = o
                    .get("delay_seconds")
                    .and_then(|d| d.as_u64())
                    .unwrap_or(default_delay);
                (body, attributes, delay)
            }
            other => (other.to_string(), serde_json::json!({}), default_delay),
        };
        if body.len() > MAX_MESSAGE_BYTES {
            return json(
                StatusCode::PAYLOAD_TOO_LARGE,
                &serde_json::json!({"message": format!("a message is limited to {MAX_MESSAGE_BYTES} bytes")}),
            );
        }
        if delay > 900 {
            return bad_request("delay_seconds is 0 to 900, as SQS allows");
        }
        messages.push(NewMessage {
            id: crate::core::fnkit_request_id(),
            kind: Kind::Queue,
            target: queue.to_owned(),
            body: body.into_bytes(),
            attributes,
            trigger: "queue".to_owned(),
            delay_ms: delay * 1000,
        });
    }
    if let Err(e) = core.store.enqueue(&messages) {
        return internal(e);
    }
    core.wake(Kind::Queue, queue);
    let ids: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| serde_json::json!({"id": m.id}))
        .collect();
    json(
        StatusCode::OK,
        &serde_json::json!({"queue": queue, "messages": ids}),
    )
}

/// Why an asynchronous invocation was not accepted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AcceptError {
    #[error("Request must be smaller than {MAX_ASYNC_PAYLOAD_BYTES} bytes for the InvokeAsync operation")]
    TooLarge,
    #[error(transparent)]
    Store(#[from] crate::ledger::LedgerError),
}

/// Stores an asynchronous invocation (`X-Amz-Invocation-Type: Event`) and returns its id.
pub(crate) fn accept_async(
    core: &Core,
    function: &str,
    payload: Bytes,
    trigger: &str,
) -> Result<String, AcceptError> {
    if payload.len() > MAX_ASYNC_PAYLOAD_BYTES {
        return Err(AcceptError::TooLarge);
    }
    let id = crate::core::fnkit_request_id();
    core.store.enqueue(&[NewMessage {
        id: id.clone(),
        kind: Kind::Async,
        target: function.to_owned(),
        body: payload.to_vec(),
        attributes: serde_json::json!({}),
        trigger: trigger.to_owned(),
        delay_ms: 0,
    }])?;
    core.wake(Kind::Async, function);
    Ok(id)
}

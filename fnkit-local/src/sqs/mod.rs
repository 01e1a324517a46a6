//! The SQS API on the emulator's port, in the JSON protocol the current SDKs speak
//! (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`, `application/x-amz-json-1.0`). Queues are the
//! ones queue triggers name (their messages go to the function, as `/_fnkit/queues` sends do),
//! their `<name>-dlq` dead-letter queues, and those made with CreateQueue; a queue no function
//! consumes is read with ReceiveMessage. Errors carry SQS's `__type` and its query-compatible
//! `x-amzn-query-error` code, so boto3 and aws-sdk-rust raise their typed exceptions.
//!
//! | file | actions |
//! |---|---|
//! | `queues.rs` | CreateQueue, GetQueueUrl, ListQueues, GetQueueAttributes, PurgeQueue |
//! | `messages.rs` | SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility |

mod messages;
mod queues;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::Request;
use serde_json::{json, Value};

use crate::engine::Engine;
use crate::work::Work;

/// The account id in queue URLs and ARNs, as elsewhere in the emulator.
pub(crate) const ACCOUNT: &str = "000000000000";

/// An SQS error: the modeled shape's name (`__type`), the query-compatible code, a message.
#[derive(Debug)]
pub(crate) struct SqsError {
    shape: &'static str,
    query_code: &'static str,
    message: String,
}

impl SqsError {
    fn new(shape: &'static str, query_code: &'static str, message: impl Into<String>) -> Self {
        SqsError {
            shape,
            query_code,
            message: message.into(),
        }
    }

    pub(crate) fn no_queue(name: &str) -> Self {
        SqsError::new(
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            format!("The specified queue `{name}` does not exist."),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        SqsError::new("InvalidParameterValue", "InvalidParameterValue", message)
    }

    pub(crate) fn missing(parameter: &str) -> Self {
        SqsError::new(
            "MissingParameter",
            "MissingParameter",
            format!("The request must contain the parameter {parameter}."),
        )
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        SqsError::new("InternalError", "InternalError", e.to_string())
    }
}

/// What a handler answers.
type Answer = Result<Value, SqsError>;

/// Answers one SQS request.
pub(crate) async fn handle(
    engine: &Engine,
    work: &Work,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let action = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("AmazonSQS."))
        .map(str::to_owned);
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    // A batch of ten 1 MiB messages, and room for the JSON around them.
    let limit = 10 * fnkit_spec::manifest::MAX_MESSAGE_BYTES + 64 * 1024;
    let body = match http_body_util::Limited::new(req.into_body(), limit)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let e = SqsError::new(
                "BatchRequestTooLong",
                "AWS.SimpleQueueService.BatchRequestTooLong",
                "the request is too large",
            );
            return error(e);
        }
    };
    let input: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ if body.is_empty() => json!({}),
        _ => return error(SqsError::invalid("the request body is not a JSON object")),
    };
    let ctx = Ctx { engine, work, host };
    let answer = match action.as_deref() {
        Some("CreateQueue") => queues::create(&ctx, &input).await,
        Some("GetQueueUrl") => queues::get_url(&ctx, &input).await,
        Some("ListQueues") => queues::list(&ctx, &input).await,
        Some("GetQueueAttributes") => queues::attributes(&ctx, &input).await,
        Some("PurgeQueue") => queues::purge(&ctx, &input).await,
        Some("SendMessage") => messages::send(&ctx, &input).await,
        Some("SendMessageBatch") => messages::send_batch(&ctx, &input).await,
        Some("ReceiveMessage") => messages::receive(&ctx, &input).await,
        Some("DeleteMessage") => messages::delete(&ctx, &input).await,
        Some("DeleteMessageBatch") => messages::delete_batch(&ctx, &input).await,
        Some("ChangeMessageVisibility") => messages::change_visibility(&ctx, &input).await,
        other => Err(SqsError::new(
            "UnsupportedOperation",
            "AWS.SimpleQueueService.UnsupportedOperation",
            format!(
                "fnkit-local does not serve the SQS action `{}`",
                other.unwrap_or("(no X-Amz-Target)")
            ),
        )),
    };
    match answer {
        Ok(value) => reply(StatusCode::OK, &value),
        Err(e) => error(e),
    }
}

/// Whether queue `name` exists, by the rule SendMessage applies ([`queues::find`]): `None` when
/// it does, else the queues that do (what ListQueues lists), for the refusal. The emulator's own
/// `/_fnkit/queues` API sends only to existing queues, as SQS does.
pub(crate) async fn missing_queue(
    engine: &Engine,
    work: &Work,
    name: &str,
) -> Result<Option<Vec<String>>, String> {
    let ctx = Ctx {
        engine,
        work,
        host: String::new(),
    };
    match queues::find(&ctx, name).await {
        Ok(_) => Ok(None),
        Err(e) if e.shape == "QueueDoesNotExist" => {
            queues::all(&ctx).await.map(Some).map_err(|e| e.message)
        }
        Err(e) => Err(e.message),
    }
}

/// What the actions share: the emulator and the host the client reached it by.
pub(crate) struct Ctx<'a> {
    engine: &'a Engine,
    work: &'a Work,
    host: String,
}

impl Ctx<'_> {
    /// The URL of a queue, on the host the client used.
    fn url(&self, queue: &str) -> String {
        format!("http://{}/{ACCOUNT}/{queue}", self.host)
    }
}

fn reply(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(value.to_string())));
    *res.status_mut() = status;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    res
}

fn error(e: SqsError) -> Response<Full<Bytes>> {
    let status = if e.shape == "InternalError" {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = json!({"__type": format!("com.amazonaws.sqs#{}", e.shape), "message": e.message});
    let mut res = reply(status, &body);
    if let Ok(v) = HeaderValue::from_str(&format!("{};Sender", e.query_code)) {
        res.headers_mut().insert("x-amzn-query-error", v);
    }
    res
}

/// A required string parameter.
fn required<'v>(input: &'v Value, name: &str) -> Result<&'v str, SqsError> {
    input[name].as_str().ok_or_else(|| SqsError::missing(name))
}

/// An optional integer parameter within `range`.
fn integer(
    input: &Value,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, SqsError> {
    match &input[name] {
        Value::Null => Ok(None),
        v => v
            .as_u64()
            .filter(|n| range.contains(n))
            .map(Some)
            .ok_or_else(|| {
                SqsError::invalid(format!(
                    "Value {v} for parameter {name} is invalid. Reason: must be between {} and {}.",
                    range.start(),
                    range.end()
                ))
            }),
    }
}

//! The durable execution API (`/2025-12-01/...`, botocore's `lambda` model): what durable
//! handlers call to checkpoint and page their state, and what clients call to read executions
//! and their history. The execution ARN is one path label, percent-encoded by the SDKs (`/` as
//! `%2F`); an unencoded one is read too.
//!
//! | call | route |
//! | Invoke of a durable function | `POST /2015-03-31/functions/{name}/invocations` (from `invoke_api.rs`) |
//! |---|---|
//! | CheckpointDurableExecution | `POST durable-executions/{arn}/checkpoint` |
//! | GetDurableExecutionState | `GET durable-executions/{arn}/state` |
//! | GetDurableExecution | `GET durable-executions/{arn}` |
//! | GetDurableExecutionHistory | `GET durable-executions/{arn}/history` |
//! | ListDurableExecutionsByFunction | `GET functions/{name}/durable-executions` |
//! | StopDurableExecution | `POST durable-executions/{arn}/stop` |
//! | SendDurableExecutionCallback{Success,Failure,Heartbeat} | `POST durable-execution-callbacks/{id}/{succeed,fail,heartbeat}` |

use http::{Method, StatusCode};
use hyper::body::Incoming;
use hyper::Request;
use serde_json::json;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;

use super::reply::{aws_error, body, empty, json, percent_decode, query, with_header, Reply};
use super::Front;
use crate::durable::{ApiError, Completion};
use crate::engine::new_request_id;
use crate::versions::Resolved;
use fnkit_spec::durable::wire::ErrorObject;

/// The largest request body (a checkpoint of updates with 6 MiB payloads, bounded).
const MAX_BODY: usize = 16 * 1024 * 1024;

fn error(e: &ApiError) -> Reply {
    let (status, kind) = e.status_and_type();
    aws_error(status, kind, &e.to_string(), None)
}

fn invalid(message: impl Into<String>) -> Reply {
    error(&ApiError::Invalid(message.into()))
}

/// Answers a request under `/2025-12-01/`; `rest` is the path after it.
pub(crate) async fn handle(front: &Front, rest: &str, req: Request<Incoming>) -> Reply {
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["durable-executions", labels @ ..] if !labels.is_empty() => {
            let (arn, action) = split_arn(labels);
            execution_call(front, &arn, action.as_deref(), req).await
        }
        ["durable-execution-callbacks", id, action] if req.method() == Method::POST => {
            callback(front, &percent_decode(id), action, req).await
        }
        ["functions", name, "durable-executions"] if req.method() == Method::GET => {
            list(front, &percent_decode(name), &req).await
        }
        _ => aws_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!(
                "fnkit-local does not serve {} /2025-12-01/{rest}",
                req.method()
            ),
            None,
        ),
    }
}

/// The ARN and the action after it: one encoded label, or (unencoded) the ARN's four segments.
fn split_arn(labels: &[&str]) -> (String, Option<String>) {
    let first = percent_decode(labels[0]);
    let (arn, rest) = if first.contains("/durable-execution/") || labels.len() < 4 {
        (first, &labels[1..])
    } else {
        (percent_decode(&labels[..4].join("/")), &labels[4..])
    };
    (arn, rest.first().map(|a| (*a).to_owned()))
}

async fn execution_call(
    front: &Front,
    arn: &str,
    action: Option<&str>,
    req: Request<Incoming>,
) -> Reply {
    let durable = &front.durable;
    let method = req.method().clone();
    let result = match (method, action) {
        (Method::POST, Some("checkpoint")) => {
            let bytes = match body(req, MAX_BODY).await {
                Ok((_, bytes)) => bytes,
                Err(e) => {
                    return e.answer(invalid("the checkpoint is larger than fnkit-local accepts"))
                }
            };
            match serde_json::from_slice(&bytes) {
                Ok(checkpoint) => durable.checkpoint(arn, checkpoint).await,
                Err(e) => return invalid(format!("the checkpoint request is not valid: {e}")),
            }
        }
        (Method::GET, Some("state")) => {
            let Some(token) = query(&req, "CheckpointToken") else {
                return invalid("CheckpointToken is required");
            };
            let max = match max_items(&req) {
                Ok(max) => max,
                Err(e) => return error(&e),
            };
            durable.state(arn, token, query(&req, "Marker"), max).await
        }
        (Method::GET, None) => durable
            .get(arn)
            .await
            .map(|e| crate::durable::describe(&e, &front.engine.config.region)),
        (Method::GET, Some("history")) => history(front, arn, &req).await,
        (Method::POST, Some("stop")) => {
            let bytes = match body(req, MAX_ERROR_BYTES).await {
                Ok((_, bytes)) => bytes,
                Err(e) => return e.answer(invalid("the stop request's error is too large")),
            };
            match error_object(&bytes) {
                Ok(error) => durable.stop(arn, error).await,
                Err(e) => return error(&e),
            }
        }
        (method, action) => {
            let action = action.unwrap_or_default();
            return invalid(format!("{method} durable-executions/.../{action} is not an operation of the durable execution API"));
        }
    };
    match result {
        Ok(value) => json(StatusCode::OK, &value),
        Err(e) => error(&e),
    }
}

/// The largest error object a call may carry (the local service's limit: 32 KiB).
const MAX_ERROR_BYTES: usize = 32 * 1024;

/// An optional `ErrorObject` body (empty or `{}`: none).
fn error_object(bytes: &[u8]) -> Result<Option<ErrorObject>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<ErrorObject>(bytes) {
        Ok(e) if e == ErrorObject::default() => Ok(None),
        Ok(e) => Ok(Some(e)),
        Err(e) => Err(ApiError::Invalid(format!(
            "the error is not an ErrorObject: {e}"
        ))),
    }
}

/// `POST durable-execution-callbacks/{id}/{succeed|fail|heartbeat}`.
async fn callback(front: &Front, id: &str, action: &str, req: Request<Incoming>) -> Reply {
    let limit = fnkit_spec::durable::MAX_CALLBACK_RESULT_BYTES;
    let bytes = match body(req, limit).await {
        Ok((_, bytes)) => bytes,
        Err(e) => {
            return e.answer(invalid(format!(
                "the callback's payload is over {limit} bytes"
            )))
        }
    };
    let completion = match action {
        "succeed" => Completion::Success(String::from_utf8_lossy(&bytes).into_owned()),
        "fail" => match error_object(&bytes) {
            Ok(error) => Completion::Failure(error.unwrap_or_default()),
            Err(e) => return error(&e),
        },
        "heartbeat" => Completion::Heartbeat,
        other => return invalid(format!("`{other}` is not succeed, fail or heartbeat")),
    };
    match front.durable.complete_callback(id, completion).await {
        Ok(()) => json(StatusCode::OK, &json!({})),
        Err(e) => error(&e),
    }
}

/// `MaxItems`: 1 to 1000; absent or 0 means 100 (the model's default).
fn max_items(req: &Request<Incoming>) -> Result<usize, ApiError> {
    match query(req, "MaxItems").map(|m| m.parse::<usize>()) {
        None | Some(Ok(0)) => Ok(100),
        Some(Ok(n)) if n <= 1000 => Ok(n),
        _ => Err(ApiError::Invalid("MaxItems must be from 0 to 1000".into())),
    }
}

fn flag(req: &Request<Incoming>, key: &str, default: bool) -> bool {
    query(req, key).map_or(default, |v| v.eq_ignore_ascii_case("true"))
}

async fn history(
    front: &Front,
    arn: &str,
    req: &Request<Incoming>,
) -> Result<serde_json::Value, ApiError> {
    let max = max_items(req)?;
    let after = match query(req, "Marker").filter(|m| !m.is_empty()) {
        None => 0,
        Some(m) => m
            .parse()
            .map_err(|_| ApiError::Invalid(format!("Invalid marker {m}")))?,
    };
    let reverse = flag(req, "ReverseOrder", false);
    let with_data = flag(req, "IncludeExecutionData", true);
    let (events, next) = front
        .durable
        .history(arn, after, max, reverse, with_data)
        .await?;
    let mut answer = json!({"Events": events});
    if let Some(next) = next {
        answer["NextMarker"] = json!(next.to_string());
    }
    Ok(answer)
}

async fn list(front: &Front, name: &str, req: &Request<Incoming>) -> Reply {
    if !front.engine.functions.contains_key(name) {
        return error(&ApiError::NotFound(format!("Function not found: {name}")));
    }
    let statuses: Vec<String> = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.strip_prefix("Statuses="))
        .map(percent_decode)
        .collect();
    let max = match max_items(req) {
        Ok(max) => max,
        Err(e) => return error(&e),
    };
    let from = match query(req, "Marker")
        .filter(|m| !m.is_empty())
        .map(|m| m.parse())
    {
        None => 0,
        Some(Ok(from)) => from,
        Some(Err(_)) => return invalid("Invalid marker"),
    };
    let filter = crate::durable::ListFilter {
        name: query(req, "DurableExecutionName"),
        statuses,
        reverse: flag(req, "ReverseOrder", false),
        from,
        // One more than a page, to know whether another follows.
        max: max + 1,
    };
    let mut execs = match front.durable.list(name, filter).await {
        Ok(execs) => execs,
        Err(e) => return error(&e),
    };
    let more = execs.len() > max;
    execs.truncate(max);
    let keys = [
        "DurableExecutionArn",
        "DurableExecutionName",
        "FunctionArn",
        "Status",
        "StartTimestamp",
        "EndTimestamp",
    ];
    let items: Vec<serde_json::Value> = execs
        .iter()
        .map(|e| {
            let d = crate::durable::describe(e, &front.engine.config.region);
            json!(keys
                .iter()
                .filter_map(|k| d.get(*k).map(|v| (k.to_string(), v.clone())))
                .collect::<serde_json::Map<_, _>>())
        })
        .collect();
    let mut answer = json!({"DurableExecutions": items});
    if more {
        answer["NextMarker"] = json!((from + max).to_string());
    }
    json(StatusCode::OK, &answer)
}

/// An invocation of a durable function, as `handle` read it.
pub(crate) struct DurableCall<'a> {
    pub name: &'a str,
    pub qualified: bool,
    pub version: Resolved,
    pub event: bool,
}

/// How long a `RequestResponse` call waits for its durable execution to end (Lambda: 15 min).
const DURABLE_SYNC_LIMIT: std::time::Duration = std::time::Duration::from_secs(900);

/// Starts a durable execution (or finds the one of the same `X-Amz-Durable-Execution-Name`):
/// `Event` answers 202 at once, `RequestResponse` when the execution ends, with its result (or
/// its error, as a function error); both name it in `X-Amz-Durable-Execution-Arn`.
pub(crate) async fn invoke(
    front: &Front,
    call: DurableCall<'_>,
    headers: &http::HeaderMap,
    payload: Bytes,
) -> Reply {
    let invalid = |m: &str| {
        aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            m,
            None,
        )
    };
    if !call.qualified {
        return invalid("You cannot invoke a durable function using an unqualified ARN. Use a version, an alias or $LATEST as the qualifier.");
    }
    let name = match headers
        .get("x-amz-durable-execution-name")
        .map(|v| v.to_str())
    {
        None => None,
        Some(Ok(n)) if fnkit_spec::durable::is_execution_name(n) => Some(n.to_owned()),
        Some(_) => return invalid("X-Amz-Durable-Execution-Name must match [a-zA-Z0-9-_]{1,64}"),
    };
    let input = String::from_utf8_lossy(&payload).into_owned();
    let exec = match front
        .durable
        .start(call.name, call.version, name, input)
        .await
    {
        Ok(exec) => exec,
        Err(e) => {
            let (status, kind) = e.status_and_type();
            return aws_error(status, kind, &e.to_string(), None);
        }
    };
    let arn = exec.arn.clone();
    let named = |r: Reply| with_header(r, "x-amz-durable-execution-arn", &arn);
    if call.event {
        return named(with_header(
            empty(StatusCode::ACCEPTED),
            "x-amzn-requestid",
            &new_request_id(),
        ));
    }
    let exec = match front.durable.wait_closed(&arn, DURABLE_SYNC_LIMIT).await {
        Ok(exec) => exec,
        Err(e) => {
            let (status, kind) = e.status_and_type();
            return aws_error(status, kind, &e.to_string(), None);
        }
    };
    named(answer(&exec))
}

/// The answer of a `RequestResponse` call for `exec`: its result, or its error as a function
/// error.
fn answer(exec: &crate::durable::Exec) -> Reply {
    use fnkit_spec::durable::wire::ExecutionStatus as S;
    let (body, failed) = match exec.status {
        S::Succeeded => (exec.result.clone().unwrap_or_default(), false),
        S::Running => {
            let m = format!("The durable execution is still running after {} seconds; follow it with GetDurableExecution", DURABLE_SYNC_LIMIT.as_secs());
            (
                serde_json::json!({"errorType": "Sandbox.Timedout", "errorMessage": m}).to_string(),
                true,
            )
        }
        _ => {
            let e = exec.error.clone().unwrap_or_default();
            let body = serde_json::json!({"errorType": e.error_type.unwrap_or_else(|| exec.status.to_string()),
                "errorMessage": e.error_message.unwrap_or_default()});
            (body.to_string(), true)
        }
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r = with_header(r, "x-amz-executed-version", &exec.version);
    r = with_header(r, "x-amzn-requestid", &new_request_id());
    if failed {
        r = with_header(r, "x-amz-function-error", "Unhandled");
    }
    r
}

//! The AWS Lambda Invoke API, `POST /2015-03-31/functions/{name}/invocations`, for `curl`,
//! `aws lambda invoke --endpoint-url`, boto3 and `cargo lambda invoke`: `RequestResponse` waits
//! for the run, `Event` is stored and acknowledged (202) before it runs, `DryRun` only checks.

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::reply::{aws_error, body, empty, invoke_error, query, with_header, Reply};
use super::Front;
use base64::Engine as _;

use crate::engine::{new_request_id, runtime_api::MAX_RESPONSE_BYTES, Extras, Invoked, Mode};
use crate::report::Outcome;
use crate::versions::{self, Resolved};
use crate::work::store::{Kind, NewMessage};

/// The largest asynchronous invocation payload (Lambda: 1 MiB since January 2026).
pub const MAX_ASYNC_PAYLOAD_BYTES: usize = fnkit_spec::manifest::MAX_MESSAGE_BYTES;

/// `ResourceNotFoundException` for `name` (and its qualifier), as Lambda words it.
fn not_found(front: &Front, name: &str, qualifier: Option<&str>) -> Reply {
    let region = &front.engine.config.region;
    let qualifier = qualifier.map(|q| format!(":{q}")).unwrap_or_default();
    let arn = format!("arn:aws:lambda:{region}:000000000000:function:{name}{qualifier}");
    let message = format!("Function not found: {arn}");
    aws_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFoundException",
        &message,
        None,
    )
}

/// The qualifier of a call (from its name or `?Qualifier=`) and the version it names; an
/// unknown qualifier is not found, two that differ are refused, as Lambda does.
fn version(
    front: &Front,
    name: &str,
    in_name: Option<String>,
    asked: Option<String>,
) -> Result<(Option<String>, Resolved), Box<Reply>> {
    if let (Some(a), Some(b)) = (&asked, &in_name) {
        if a != b {
            let m = "The derived qualifier from the function name does not match the specified qualifier.";
            return Err(Box::new(aws_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                m,
                None,
            )));
        }
    }
    let qualifier = in_name.or(asked);
    let current = front.engine.functions[name].version();
    match versions::resolve(qualifier.as_deref(), current) {
        Some(resolved) => Ok((qualifier, resolved)),
        None => Err(Box::new(not_found(front, name, qualifier.as_deref()))),
    }
}

fn too_large(limit: usize, event: bool) -> Reply {
    let operation = if event { "InvokeAsync" } else { "Invoke" };
    aws_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLargeException",
        &format!("Request must be smaller than {limit} bytes for the {operation} operation"),
        None,
    )
}

pub(crate) async fn handle(front: &Front, raw_name: &str, req: Request<Incoming>) -> Reply {
    if req.method() != Method::POST {
        let e = "InvalidRequestContentException";
        return aws_error(StatusCode::METHOD_NOT_ALLOWED, e, "use POST", None);
    }
    let engine = &front.engine;
    let (name, in_name) = versions::function_target(raw_name);
    let name = name.as_str();
    if !engine.functions.contains_key(name) {
        return not_found(front, name, in_name.as_deref());
    }
    let asked = query(&req, "Qualifier");
    let kind = req
        .headers()
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_owned();
    let event = kind == "Event";
    let limit = if event {
        MAX_ASYNC_PAYLOAD_BYTES
    } else {
        MAX_RESPONSE_BYTES
    };
    let (parts, payload) = match body(req, limit).await {
        Ok(read) => read,
        Err(e) => return e.answer(too_large(limit, event)),
    };
    let headers = parts.headers;
    // Answered after the body is read, so a refused call's connection stays usable.
    let (qualifier, resolved) = match version(front, name, in_name, asked) {
        Ok(v) => v,
        Err(reply) => return *reply,
    };
    let payload = if payload.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    if !is_json(&payload) {
        let e = "InvalidRequestContentException";
        let m = "Could not parse request body into json";
        return aws_error(StatusCode::BAD_REQUEST, e, m, None);
    }
    if engine.functions[name].spec.durable.is_some() && kind != "DryRun" {
        let call = super::durable_api::DurableCall {
            name,
            qualified: qualifier.is_some(),
            version: resolved,
            event,
        };
        return super::durable_api::invoke(front, call, &headers, payload).await;
    }
    match kind.as_str() {
        "DryRun" => empty(StatusCode::NO_CONTENT),
        "Event" => accept(front, name, payload).await,
        "RequestResponse" => {
            let mut extras = match extras(&headers) {
                Ok(extras) => extras,
                Err(reply) => return *reply,
            };
            extras.version = resolved;
            extras.qualifier = qualifier;
            match engine
                .invoke_detached(name, payload, Mode::Sync, "event", extras)
                .await
            {
                Ok(invoked) => answer(invoked),
                Err(e) => invoke_error(e),
            }
        }
        other => aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &format!("X-Amz-Invocation-Type `{other}` is not RequestResponse, Event or DryRun"),
            None,
        ),
    }
}

/// An `Event` invocation: stored before it is acknowledged; delivered (and retried) by the
/// function's async loop.
async fn accept(front: &Front, name: &str, payload: Bytes) -> Reply {
    let id = new_request_id();
    let message = NewMessage {
        id: id.clone(),
        kind: Kind::Async,
        target: name.to_owned(),
        body: payload.to_vec(),
        attributes: serde_json::json!({}),
        trigger: "event".to_owned(),
        delay_ms: 0,
    };
    match front.work.push(vec![message]).await {
        Ok(()) => with_header(empty(StatusCode::ACCEPTED), "x-amzn-requestid", &id),
        Err(e) => {
            let status = StatusCode::INTERNAL_SERVER_ERROR;
            aws_error(status, "ServiceException", &e.to_string(), None)
        }
    }
}

/// Whether `payload` is JSON as Lambda takes it: UTF-8 throughout (inside strings too), and
/// every `\u` escape a character (no lone surrogate). Skipping a value does not look inside its
/// strings, so escapes are read into a value when there are any.
fn is_json(payload: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(payload) else {
        return false;
    };
    match text.contains("\\u") {
        true => serde_json::from_str::<serde_json::Value>(text).is_ok(),
        false => serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok(),
    }
}

/// What a synchronous call may ask besides its payload: `X-Amz-Client-Context` (base64 JSON,
/// handed to the function decoded, as the RIE does) and `X-Amz-Log-Type: Tail`. (Lambda passes
/// the client context to synchronous invocations only; an `Event` call's is dropped.)
fn extras(headers: &http::HeaderMap) -> Result<Extras, Box<Reply>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let client_context = match header("x-amz-client-context") {
        None => None,
        Some(encoded) => {
            let bad = || {
                let m = "Client context must be a valid Base64-encoded JSON object.";
                Box::new(aws_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    m,
                    None,
                ))
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| bad())?;
            // An object, written compactly: it travels in a header of the Runtime API.
            let object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&decoded).map_err(|_| bad())?;
            let compact = serde_json::Value::Object(object).to_string();
            http::HeaderValue::from_str(&compact).map_err(|_| bad())?;
            Some(compact)
        }
    };
    Ok(Extras {
        client_context,
        log_tail: header("x-amz-log-type") == Some("Tail"),
        ..Extras::default()
    })
}

/// A `RequestResponse` invocation's answer, with Lambda's headers.
fn answer(invoked: Invoked) -> Reply {
    let mut r = Response::new(Full::new(invoked.body));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r = with_header(
        r,
        "x-amz-executed-version",
        &invoked.executed_version.executed(),
    );
    r = with_header(r, "x-amzn-requestid", &invoked.request_id);
    if invoked.outcome != Outcome::Ok {
        r = with_header(r, "x-amz-function-error", "Unhandled");
    }
    if let Some(tail) = &invoked.log_tail {
        let encoded = base64::engine::general_purpose::STANDARD.encode(tail);
        r = with_header(r, "x-amz-log-result", &encoded);
    }
    r
}

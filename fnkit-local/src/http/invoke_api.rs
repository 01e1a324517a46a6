//! The AWS Lambda Invoke API, `POST /2015-03-31/functions/{name}/invocations`, for `curl`,
//! `aws lambda invoke --endpoint-url`, boto3 and `cargo lambda invoke`: `RequestResponse` waits
//! for the run, `Event` is stored and acknowledged (202) before it runs, `DryRun` only checks.

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::reply::{aws_error, body, empty, invoke_error, percent_decode, with_header, Reply};
use super::Front;
use base64::Engine as _;

use crate::engine::{new_request_id, runtime_api::MAX_RESPONSE_BYTES, Extras, Invoked, Mode};
use crate::report::Outcome;
use crate::work::store::{Kind, NewMessage};

/// The largest asynchronous invocation payload (Lambda: 1 MiB since January 2026).
pub const MAX_ASYNC_PAYLOAD_BYTES: usize = fnkit_spec::manifest::MAX_MESSAGE_BYTES;

/// The function name from a name, an ARN or a partial ARN, URL-decoded.
pub(crate) fn function_name(raw: &str) -> String {
    let decoded = percent_decode(raw);
    match decoded.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => (*name).to_owned(),
        [_, "function", name, ..] => (*name).to_owned(),
        [name, _qualifier] => (*name).to_owned(),
        _ => decoded,
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

pub(crate) async fn handle(front: &Front, name: &str, req: Request<Incoming>) -> Reply {
    if req.method() != Method::POST {
        let e = "InvalidRequestContentException";
        return aws_error(StatusCode::METHOD_NOT_ALLOWED, e, "use POST", None);
    }
    let engine = &front.engine;
    if !engine.functions.contains_key(name) {
        let region = &engine.config.region;
        let arn = format!("arn:aws:lambda:{region}:000000000000:function:{name}");
        let message = format!("Function not found: {arn}");
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &message,
            None,
        );
    }
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
    let Ok((parts, payload)) = body(req, limit).await else {
        return too_large(limit, event);
    };
    let headers = parts.headers;
    let payload = if payload.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    if serde_json::from_slice::<serde::de::IgnoredAny>(&payload).is_err() {
        let e = "InvalidRequestContentException";
        let m = "Could not parse request body into json";
        return aws_error(StatusCode::BAD_REQUEST, e, m, None);
    }
    match kind.as_str() {
        "DryRun" => empty(StatusCode::NO_CONTENT),
        "Event" => accept(front, name, payload).await,
        "RequestResponse" => {
            let extras = match extras(&headers) {
                Ok(extras) => extras,
                Err(reply) => return *reply,
            };
            match engine
                .invoke_with(name, payload, Mode::Sync, "event", None, extras)
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
                aws_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    m,
                    None,
                )
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| bad())?;
            serde_json::from_slice::<serde::de::IgnoredAny>(&decoded).map_err(|_| bad())?;
            Some(String::from_utf8(decoded).map_err(|_| bad())?)
        }
    };
    Ok(Extras {
        client_context,
        log_tail: header("x-amz-log-type") == Some("Tail"),
    })
}

/// A `RequestResponse` invocation's answer, with Lambda's headers.
fn answer(invoked: Invoked) -> Reply {
    let mut r = Response::new(Full::new(invoked.body));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r = with_header(r, "x-amz-executed-version", "$LATEST");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_from_arns() {
        assert_eq!(function_name("hello"), "hello");
        assert_eq!(
            function_name("arn%3Aaws%3Alambda%3Aus-east-1%3A123%3Afunction%3Ahello"),
            "hello"
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123:function:hello:$LATEST"),
            "hello"
        );
        assert_eq!(function_name("123:function:hello"), "hello");
        assert_eq!(function_name("hello:live"), "hello");
    }
}

//! The emulator's HTTP front on one port: the AWS Invoke API
//! (`/2015-03-31/functions/{name}/invocations`), the admin API (`/_fnkit/...`), and everything
//! else through the HTTP-trigger gateway.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::core::{Core, InvokeError, Mode};
use crate::gateway;
use crate::report::Outcome;
use crate::runtime_api::MAX_RESPONSE_BYTES;

/// The largest asynchronous invocation payload (Lambda: 256 KB).
pub const MAX_ASYNC_PAYLOAD_BYTES: usize = 256 * 1024;

pub(crate) type Reply = Response<Full<Bytes>>;

pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(
        serde_json::to_vec_pretty(value).unwrap_or_default(),
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An AWS-style error: `x-amzn-ErrorType` header and a JSON body.
pub(crate) fn aws_error(
    status: StatusCode,
    error_type: &str,
    message: &str,
    extra: Option<(&str, &str)>,
) -> Reply {
    let mut body = serde_json::json!({"Type": "User", "message": message, "__type": error_type});
    if let Some((k, v)) = extra {
        body[k] = v.into();
    }
    let mut response = json(status, &body);
    if let Ok(v) = HeaderValue::from_str(error_type) {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    response
}

/// A query parameter of a request, percent-decoded.
pub(crate) fn query(req: &Request<Incoming>, key: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// Reads a request body of at most `limit` bytes.
pub(crate) async fn body(
    req: Request<Incoming>,
    limit: usize,
) -> Result<(http::request::Parts, Bytes), http::request::Parts> {
    let (parts, body) = req.into_parts();
    match Limited::new(body, limit).collect().await {
        Ok(b) => Ok((parts, b.to_bytes())),
        Err(_) => Err(parts),
    }
}

pub(crate) async fn handle(core: Arc<Core>, base_url: Arc<str>, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/2015-03-31/functions/") {
        if let Some(name) = rest.strip_suffix("/invocations") {
            let name = function_name(name);
            return invoke_api(core, &name, req).await;
        }
    }
    if let Some(rest) = path.strip_prefix("/_fnkit/") {
        return match crate::events_api::handle(core.clone(), rest, req).await {
            Ok(reply) => reply,
            Err(req) => crate::admin::handle(core, &base_url, rest, req).await,
        };
    }
    gateway::handle(core, req).await
}

/// The function name from a name, an ARN or a partial ARN, URL-decoded.
fn function_name(raw: &str) -> String {
    let decoded = percent_decode(raw);
    match decoded.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => (*name).to_owned(),
        [_, "function", name, ..] => (*name).to_owned(),
        [name, _qualifier] => (*name).to_owned(),
        _ => decoded,
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

async fn invoke_api(core: Arc<Core>, name: &str, req: Request<Incoming>) -> Reply {
    if req.method() != Method::POST {
        return aws_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "InvalidRequestContentException",
            "use POST",
            None,
        );
    }
    if !core.functions.contains_key(name) {
        let arn = format!(
            "arn:aws:lambda:{}:000000000000:function:{name}",
            core.config.region
        );
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {arn}"),
            None,
        );
    }
    let kind = req
        .headers()
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_owned();
    let limit = if kind == "Event" {
        MAX_ASYNC_PAYLOAD_BYTES
    } else {
        MAX_RESPONSE_BYTES
    };
    let Ok((_, payload)) = body(req, limit).await else {
        return aws_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            &format!(
                "Request must be smaller than {limit} bytes for the {} operation",
                if kind == "Event" {
                    "InvokeAsync"
                } else {
                    "Invoke"
                }
            ),
            None,
        );
    };
    let payload = if payload.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    if serde_json::from_slice::<serde::de::IgnoredAny>(&payload).is_err() {
        return aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "Could not parse request body into json",
            None,
        );
    }
    match kind.as_str() {
        "DryRun" => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Full::default())
            .unwrap_or_default(),
        "Event" => match crate::events_api::accept_async(&core, name, payload, "event") {
            // Stored before it is acknowledged; delivered (and retried) by the async loop.
            Ok(id) => {
                let mut r = Response::builder()
                    .status(StatusCode::ACCEPTED)
                    .body(Full::default())
                    .unwrap_or_default();
                if let Ok(v) = HeaderValue::from_str(&id) {
                    r.headers_mut().insert("x-amzn-requestid", v);
                }
                r
            }
            Err(e @ crate::events_api::AcceptError::TooLarge) => aws_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &e.to_string(),
                None,
            ),
            Err(e) => aws_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceException",
                &e.to_string(),
                None,
            ),
        },
        "RequestResponse" => match core.invoke(name, payload, Mode::Sync, "event").await {
            Ok(invoked) => {
                let mut response = Response::new(Full::new(invoked.body));
                let headers = response.headers_mut();
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                headers.insert(
                    "x-amz-executed-version",
                    HeaderValue::from_static("$LATEST"),
                );
                if let Ok(v) = HeaderValue::from_str(&invoked.request_id) {
                    headers.insert("x-amzn-requestid", v);
                }
                if invoked.outcome != Outcome::Ok {
                    headers.insert(
                        "x-amz-function-error",
                        HeaderValue::from_static("Unhandled"),
                    );
                }
                response
            }
            Err(e) => invoke_error(e),
        },
        other => aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &format!("X-Amz-Invocation-Type `{other}` is not RequestResponse, Event or DryRun"),
            None,
        ),
    }
}

pub(crate) fn invoke_error(e: InvokeError) -> Reply {
    match &e {
        InvokeError::NotFound(_) => aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &e.to_string(),
            None,
        ),
        InvokeError::Throttled { reason, request_id } => {
            let mut r = aws_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Rate Exceeded.",
                Some(("Reason", reason)),
            );
            if let Ok(v) = HeaderValue::from_str(request_id) {
                r.headers_mut().insert("x-amzn-requestid", v);
            }
            r
        }
        InvokeError::TooLarge { .. } => aws_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            &e.to_string(),
            None,
        ),
    }
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

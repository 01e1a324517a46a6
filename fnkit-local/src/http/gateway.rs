//! The HTTP-trigger gateway: routes `METHOD /path` to the function whose route matches (the most
//! specific one), sends it the API Gateway HTTP API (v2) event it would get on AWS, and turns its
//! answer back into HTTP, with API Gateway's answers for failures.

use bytes::Bytes;
use fnkit::platform::{decode_response, to_v2_payload, GatewayRequestId};
use http::{HeaderValue, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::reply::{body, invoke_error, json, Reply};
use super::Front;
use crate::engine::runtime_api::MAX_RESPONSE_BYTES;
use crate::engine::{InvokeError, Mode};
use crate::report::Outcome;

/// 404, listing the routes there are.
fn no_route(front: &Front, method: &str, path: &str) -> Reply {
    let listed: Vec<String> = front
        .routes
        .entries()
        .iter()
        .map(|r| format!("{} {} -> {}", r.method, r.route, r.function))
        .collect();
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"message": "Not Found", "detail": format!("no route matches {method} {path}"), "routes": listed}),
    )
}

/// A call over a concurrency limit, as API Gateway answers it (429), with Lambda's reason.
fn throttled(reason: &str, request_id: &str) -> Reply {
    let mut r = json(
        StatusCode::TOO_MANY_REQUESTS,
        &serde_json::json!({"message": "Too Many Requests", "errorType": "TooManyRequestsException", "Reason": reason}),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}

pub(crate) async fn handle(front: &Front, req: Request<Incoming>) -> Reply {
    let core = &front.engine;
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let Some(found) = front.routes.find(&method, &path) else {
        return no_route(front, &method, &path);
    };
    let (parts, bytes) = match body(req, MAX_RESPONSE_BYTES).await {
        Ok(x) => x,
        Err(e) => {
            return e.answer(json(
                StatusCode::PAYLOAD_TOO_LARGE,
                &serde_json::json!({"message": "Request Entity Too Large"}),
            ))
        }
    };
    let mut request = http::Request::from_parts(parts, fnkit::Body::from(bytes));
    let function = found.entry.function.as_str();
    let route_key = format!("{} {}", found.entry.method, found.entry.route);
    // Matched once, by the route table: the event takes these parameters as they are.
    request
        .extensions_mut()
        .insert(fnkit::PathParams(found.params));
    // API Gateway's own id for the request, in the event and in `apigw-requestid`; the Lambda
    // request id is another (answered in `x-amzn-requestid`).
    let gateway_id = crate::engine::new_request_id();
    request
        .extensions_mut()
        .insert(GatewayRequestId(gateway_id.clone()));
    let payload = Bytes::from(to_v2_payload(&request, Some(&route_key)));
    let extras = crate::engine::Extras::default();
    match core
        .invoke_detached(function, payload, Mode::Sync, "http", extras)
        .await
    {
        Ok(invoked) => {
            let mut reply = if invoked.outcome == Outcome::Ok {
                match decode_response(&invoked.body) {
                    Ok(response) => {
                        let (parts, body) = response.into_parts();
                        Response::from_parts(parts, Full::new(body.into_bytes()))
                    }
                    Err(e) => {
                        core.logs.platform(
                            function,
                            Some(&invoked.request_id),
                            &format!("the function's answer is not an HTTP response: {e}"),
                        );
                        json(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            &serde_json::json!({"message": "Internal Server Error"}),
                        )
                    }
                }
            } else {
                // API Gateway answers a failed invocation with 500 and says nothing more; the
                // error type is in the log, the ledger, and this header.
                let mut r = json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({"message": "Internal Server Error"}),
                );
                if let Some(Ok(v)) = invoked.error_type.as_deref().map(HeaderValue::from_str) {
                    r.headers_mut().insert("x-fnkit-error-type", v);
                }
                r
            };
            if let Ok(v) = HeaderValue::from_str(&gateway_id) {
                reply.headers_mut().insert("apigw-requestid", v);
            }
            if let Ok(v) = HeaderValue::from_str(&invoked.request_id) {
                reply.headers_mut().insert("x-amzn-requestid", v);
            }
            reply
        }
        Err(InvokeError::Throttled { reason, request_id }) => throttled(reason, &request_id),
        Err(e) => invoke_error(e),
    }
}

//! One request of the HTTP mode: an HTTP route's request handed to its function as it is, or a
//! CloudEvent at `POST /{function}` as its trigger's payload; both run under the function's
//! concurrency limit and timeout.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use super::{App, Served};
use crate::event::http::direct::Direct;
use crate::manifest::Trigger;
use crate::platform::{as_api_gateway_passes_it, to_v2_payload};
use crate::runtime::cloudevent::{self, error_json};
use crate::{Context, Error};

/// The largest request body taken (Lambda's synchronous limit, for parity).
const MAX_BODY: usize = 6 * 1024 * 1024;

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    r
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Reply {
    reply(status, "application/json", error_json(error_type, message))
}

/// Answers one request.
pub(super) async fn handle(app: &App, req: Request<Incoming>) -> Reply {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    // The route and its parameters, matched once.
    let http_route = app.table.find(&method, &path).and_then(|found| {
        let served = app.functions.get(&found.entry.function)?;
        Some((served, found.params))
    });
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let m = "the request body is larger than 6 MB";
            return error(StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLarge", m);
        }
    };
    if let Some((served, params)) = http_route {
        let mut request = http::Request::from_parts(parts, crate::Body::from(body));
        as_api_gateway_passes_it(&mut request);
        request.extensions_mut().insert(crate::PathParams(params));
        return route(app, served, request).await;
    }
    let name = path.trim_start_matches('/');
    let Some(served) = app.functions.get(name).filter(|s| !s.http()) else {
        let body = serde_json::json!({"errorType": "NotFound", "errorMessage": format!("no function answers {method} {path}"), "routes": app.routes});
        let body = serde_json::to_vec(&body).unwrap_or_default();
        return reply(StatusCode::NOT_FOUND, "application/json", body);
    };
    if parts.method != Method::POST {
        let m = "CloudEvents are delivered with POST";
        return error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", m);
    }
    cloud_event(app, served, &parts.headers, &body).await
}

/// An HTTP function's request, handed to it as it is (the direct path: no API Gateway payload
/// is written, see `fnkit::event::http::direct`), and its response back.
async fn route(app: &App, served: &Served, request: crate::HttpRequest) -> Reply {
    let route_key = served.route_key.clone().unwrap_or_default();
    let direct = Direct::new(request, route_key, to_v2_payload);
    let mut extensions = http::Extensions::new();
    extensions.insert(direct.clone());
    let id = crate::context::new_request_id();
    if let Err(failure) = call(app, served, &id, Vec::new(), extensions).await {
        return failure;
    }
    // Every HTTP function's encoder leaves its response in the exchange.
    let Some(response) = direct.take_response() else {
        let m = "the function's encoder left no response";
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Runtime.NoResponse", m);
    };
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Full::new(body.into_bytes()))
}

/// A CloudEvent for an event-driven function, as its trigger's payload.
async fn cloud_event(app: &App, served: &Served, headers: &http::HeaderMap, body: &[u8]) -> Reply {
    let event = match cloudevent::parse(headers, body) {
        Ok(e) => e,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "MalformedCloudEvent",
                &e.to_string(),
            )
        }
    };
    let trigger = &served.def.spec().trigger;
    let Some(payload) = only_matching(trigger, event.payload(trigger)) else {
        // Acknowledged, so the broker does not deliver it again; the function is not run.
        let body = serde_json::json!({"skipped": format!("no object in event {} matches the function's prefix, suffix or events", event.id)});
        return reply(
            StatusCode::OK,
            "application/json",
            body.to_string().into_bytes(),
        );
    };
    let payload = serde_json::to_vec(&payload).unwrap_or_default();
    match call(app, served, &event.id, payload, http::Extensions::new()).await {
        Ok(out) => {
            // A CloudEvent carries one queue message: a reported failure must fail the delivery,
            // so the broker delivers it again.
            if matches!(trigger, Trigger::Queue { .. }) {
                let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
                let failures = v["batchItemFailures"].as_array();
                if failures.is_some_and(|f| !f.is_empty()) {
                    let m = format!("the function failed message {}", event.id);
                    return error(StatusCode::INTERNAL_SERVER_ERROR, "BatchItemFailure", &m);
                }
            }
            reply(StatusCode::OK, "application/json", out)
        }
        Err(failure) => failure,
    }
}

/// A storage function's payload with only the records its trigger fires for (fnkit-spec's rule,
/// the emulator's too), or `None` when none is left. Knative Triggers cannot filter on a key's
/// prefix or suffix, so a `csv/` function would otherwise run for every object of its bucket.
/// Other triggers' payloads pass as they are.
fn only_matching(trigger: &Trigger, mut payload: serde_json::Value) -> Option<serde_json::Value> {
    use fnkit_spec::storage::{fires, Change};
    if !matches!(trigger, Trigger::Storage { .. }) {
        return Some(payload);
    }
    let records = payload.get_mut("Records")?.as_array_mut()?;
    records.retain(|r| {
        let key =
            crate::event::storage::decode_key(r["s3"]["object"]["key"].as_str().unwrap_or(""));
        let name = r["eventName"].as_str().unwrap_or("");
        let change = if name.starts_with("ObjectRemoved") {
            Change::Deleted
        } else if name.starts_with("ObjectCreated") {
            Change::Created
        } else {
            return false;
        };
        // The bucket is the deployed one, whose name differs from the attribute's logical name.
        fires(trigger, None, &key, change)
    });
    (!records.is_empty()).then_some(payload)
}

/// Runs one invocation under the function's concurrency limit and timeout.
///
/// The handler runs on its own task, which holds the function's slot until it has really
/// stopped. At the timeout the caller gets its 504 at once and the task is aborted; if the caller
/// goes away first, the task is aborted too. A handler that awaits stops at its next await; one
/// that never yields cannot be stopped in-process and keeps its slot (and its thread), so the
/// function answers 429 rather than run more copies than its concurrency allows.
async fn call(
    app: &App,
    served: &Served,
    id: &str,
    payload: Vec<u8>,
    extensions: http::Extensions,
) -> Result<Vec<u8>, Reply> {
    let spec = served.def.spec();
    let Ok(slot) = served.slots.clone().try_acquire_owned() else {
        let m = format!("function `{}` is at its concurrency limit", spec.name);
        return Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            &m,
        ));
    };
    let timeout = Duration::from_secs(u64::from(spec.timeout_secs));
    let context = Context::builder()
        .request_id(id)
        .function_name(spec.name.to_string())
        .memory_limit_mb(spec.memory_mb)
        .timeout(timeout)
        .build();
    let (def, state) = (served.def, app.state.clone());
    let mut task = AbortOnDrop(tokio::spawn(async move {
        let _slot = slot;
        crate::runtime::call_with(def, payload, extensions, context, state).await
    }));
    match tokio::time::timeout(timeout, &mut task.0).await {
        Ok(Ok(Ok(out))) => Ok(out),
        Ok(Ok(Err(e))) => Err(failed(&e)),
        Ok(Err(join)) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Runtime.Panic",
            &join.to_string(),
        )),
        Err(_) => {
            let m = format!(
                "{id} Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            );
            Err(error(StatusCode::GATEWAY_TIMEOUT, "Sandbox.Timedout", &m))
        }
    }
}

/// A handler's task, aborted when its caller stops waiting for it (timeout or disconnect).
struct AbortOnDrop(tokio::task::JoinHandle<Result<Vec<u8>, Error>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn failed(e: &Error) -> Reply {
    let status = match e.error_type() {
        "Runtime.UnmarshalError" => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e.error_type(), e.message())
}

//! The HTTP mode, for Knative, Cloud Run and OpenFaaS: every registered function served by one
//! HTTP server on `$PORT`. HTTP functions answer on their routes; every other function takes
//! CloudEvents at `POST /{function}`. Both go through the same decode → handler → encode path as
//! Lambda (an HTTP request becomes the API Gateway v2 event the decoder reads). Functions
//! Framework conventions: 400 for a malformed event, 429 over a function's concurrency, 504 at
//! its timeout (enforced here, in-process).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::Semaphore;

use super::cloudevent::{self, error_json};
use crate::invocation::StateMap;
use crate::manifest::Trigger;
use crate::platform::{decode_response, to_v2_event};
use crate::registry::{self, FunctionDef};
use crate::route::RouteTable;
use crate::{Context, Error};

/// The largest request body taken (Lambda's synchronous limit, for parity).
const MAX_BODY: usize = 6 * 1024 * 1024;

/// What stops the HTTP mode.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServerError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Tokio(std::io::Error),
    #[error(transparent)]
    Duplicate(#[from] registry::DuplicateName),
    #[error(transparent)]
    Routes(#[from] crate::manifest::RoutesError),
}

struct Served {
    def: &'static FunctionDef,
    slots: Arc<Semaphore>,
    /// Served on its HTTP route rather than as `POST /{name}`.
    http: bool,
}

struct App {
    functions: HashMap<String, Served>,
    table: RouteTable,
    routes: Vec<String>,
    state: Arc<StateMap>,
}

/// Serves every function on `host:port` until the process is stopped.
pub(crate) fn serve(host: &str, port: u16, state: Arc<StateMap>) -> Result<(), ServerError> {
    let default_concurrency: usize = std::env::var("FNKIT_CONCURRENCY")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    let mut functions = HashMap::new();
    let mut routes = Vec::new();
    let defs = registry::functions()?;
    let table = crate::manifest::route_table(defs.iter().map(|d| d.spec()))?;
    for def in defs {
        let spec = def.spec();
        let http = match &spec.trigger {
            Trigger::Http { method, path } => {
                routes.push(format!("{method} {path}"));
                true
            }
            _ => {
                routes.push(format!("POST /{} (CloudEvents)", spec.name));
                false
            }
        };
        let limit = spec
            .concurrency
            .map_or(default_concurrency, |c| c as usize)
            .max(1);
        functions.insert(
            spec.name.to_string(),
            Served {
                def,
                slots: Arc::new(Semaphore::new(limit)),
                http,
            },
        );
    }
    let app = Arc::new(App {
        functions,
        table,
        routes,
        state,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Tokio)?;
    runtime.block_on(async move {
        let address = format!("{host}:{port}");
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|source| ServerError::Bind {
                address: address.clone(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { address, source })?;
        println!(
            "fnkit: serving {} function(s) on http://{local}",
            app.functions.len()
        );
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let app = app.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(handle(&app, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn reply(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    r
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Response<Full<Bytes>> {
    reply(status, "application/json", error_json(error_type, message))
}

async fn handle(app: &App, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let http_route = app
        .table
        .find(&method, &path)
        .and_then(|found| app.functions.get(&found.entry.function));
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLarge",
                "the request body is larger than 6 MB",
            )
        }
    };
    if let Some(served) = http_route {
        let route = match &served.def.spec().trigger {
            Trigger::Http { path, .. } => path.to_string(),
            _ => String::new(),
        };
        let request = http::Request::from_parts(parts, crate::Body::from(body));
        let event = to_v2_event(&request, Some(&route));
        let id = crate::context::new_request_id();
        return match call(
            app,
            served,
            &id,
            serde_json::to_vec(&event).unwrap_or_default(),
        )
        .await
        {
            Ok(out) => match decode_response(&out) {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    Response::from_parts(parts, Full::new(body.into_bytes()))
                }
                Err(e) => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    e.error_type(),
                    e.message(),
                ),
            },
            Err(failure) => failure,
        };
    }
    let name = path.trim_start_matches('/');
    let Some(served) = app.functions.get(name).filter(|s| !s.http) else {
        let body = serde_json::json!({"errorType": "NotFound", "errorMessage": format!("no function answers {method} {path}"), "routes": app.routes});
        return reply(
            StatusCode::NOT_FOUND,
            "application/json",
            serde_json::to_vec(&body).unwrap_or_default(),
        );
    };
    if parts.method != Method::POST {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "CloudEvents are delivered with POST",
        );
    }
    let event = match cloudevent::parse(&parts.headers, &body) {
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
    let payload = serde_json::to_vec(&event.payload(trigger)).unwrap_or_default();
    match call(app, served, &event.id, payload).await {
        Ok(out) => {
            // A CloudEvent carries one queue message: a reported failure must fail the delivery,
            // so the broker delivers it again.
            if matches!(trigger, Trigger::Queue { .. }) {
                let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
                if v["batchItemFailures"]
                    .as_array()
                    .is_some_and(|f| !f.is_empty())
                {
                    return error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "BatchItemFailure",
                        &format!("the function failed message {}", event.id),
                    );
                }
            }
            reply(StatusCode::OK, "application/json", out)
        }
        Err(failure) => failure,
    }
}

/// Runs one invocation under the function's concurrency limit and timeout.
async fn call(
    app: &App,
    served: &Served,
    id: &str,
    payload: Vec<u8>,
) -> Result<Vec<u8>, Response<Full<Bytes>>> {
    let spec = served.def.spec();
    let Ok(slot) = served.slots.clone().try_acquire_owned() else {
        return Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            &format!("function `{}` is at its concurrency limit", spec.name),
        ));
    };
    let timeout = Duration::from_secs(u64::from(spec.timeout_secs));
    let context = Context::builder()
        .request_id(id)
        .function_name(spec.name.to_string())
        .memory_limit_mb(spec.memory_mb)
        .timeout(timeout)
        .build();
    // On its own task, so the timeout fires even if the handler never yields.
    let task = tokio::spawn(super::call(served.def, payload, context, app.state.clone()));
    let result = tokio::time::timeout(timeout, task).await;
    drop(slot);
    match result {
        Ok(Ok(Ok(out))) => Ok(out),
        Ok(Ok(Err(e))) => Err(failed(&e)),
        Ok(Err(join)) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Runtime.Panic",
            &join.to_string(),
        )),
        Err(_) => Err(error(
            StatusCode::GATEWAY_TIMEOUT,
            "Sandbox.Timedout",
            &format!(
                "{id} Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            ),
        )),
    }
}

fn failed(e: &Error) -> Response<Full<Bytes>> {
    let status = match e.error_type() {
        "Runtime.UnmarshalError" => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e.error_type(), e.message())
}

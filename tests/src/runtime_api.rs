//! A minimal Lambda Runtime API endpoint on 127.0.0.1:0 for the foundation tests: it hands out
//! queued events on `GET /next` and records what the function posts back. The emulator
//! (`fnkit-local`) is the full implementation; this one exists so the function side can be
//! checked on its own, and checks the protocol strictly (paths, headers, request ids).

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// What a function answered to one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST /runtime/invocation/{id}/response`.
    Response(serde_json::Value),
    /// `POST /runtime/invocation/{id}/error`, with the `Lambda-Runtime-Function-Error-Type` header.
    Error {
        error_type_header: Option<String>,
        body: serde_json::Value,
    },
}

#[derive(Default)]
struct Inner {
    pending: VecDeque<(String, Vec<u8>)>,
    outcomes: HashMap<String, Outcome>,
    init_error: Option<(Option<String>, serde_json::Value)>,
    pushed: usize,
    protocol_errors: Vec<String>,
}

/// The endpoint. Dropping it leaves the server task to end with the test's runtime.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub struct RuntimeApi {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    queued: Arc<Notify>,
    answered: Arc<Notify>,
}

impl RuntimeApi {
    /// Starts the endpoint on 127.0.0.1, port 0.
    pub async fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let api = RuntimeApi {
            addr: listener.local_addr().expect("local addr"),
            inner: Arc::default(),
            queued: Arc::default(),
            answered: Arc::default(),
        };
        let server = api.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let api = server.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let api = api.clone();
                        async move { Ok::<_, Infallible>(api.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        api
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an event and returns its request id.
    pub fn push(&self, payload: impl Into<Vec<u8>>) -> String {
        let mut inner = self.inner.lock().unwrap();
        inner.pushed += 1;
        let id = format!("req-{}", inner.pushed);
        inner.pending.push_back((id.clone(), payload.into()));
        drop(inner);
        self.queued.notify_waiters();
        self.queued.notify_one();
        id
    }

    /// Waits up to `timeout` for the function's answer to `id`.
    pub async fn outcome(&self, id: &str, timeout: Duration) -> Option<Outcome> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let answered = self.answered.notified();
            if let Some(o) = self.inner.lock().unwrap().outcomes.get(id) {
                return Some(o.clone());
            }
            if tokio::time::timeout_at(deadline, answered).await.is_err() {
                return None;
            }
        }
    }

    /// Waits up to `timeout` for a `POST /runtime/init/error`.
    pub async fn init_error(
        &self,
        timeout: Duration,
    ) -> Option<(Option<String>, serde_json::Value)> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let answered = self.answered.notified();
            if let Some(e) = self.inner.lock().unwrap().init_error.clone() {
                return Some(e);
            }
            if tokio::time::timeout_at(deadline, answered).await.is_err() {
                return None;
            }
        }
    }

    /// Requests that broke the protocol (unknown paths, unknown request ids, bad methods).
    pub fn protocol_errors(&self) -> Vec<String> {
        self.inner.lock().unwrap().protocol_errors.clone()
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let error_type = req
            .headers()
            .get("lambda-runtime-function-error-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let json = || {
            serde_json::from_slice::<serde_json::Value>(&body).unwrap_or(serde_json::Value::Null)
        };
        let rest = path.strip_prefix("/2018-06-01/runtime/");
        match (method.as_str(), rest) {
            ("GET", Some("invocation/next")) => self.next().await,
            ("POST", Some("init/error")) => {
                self.inner.lock().unwrap().init_error = Some((error_type, json()));
                self.answered.notify_waiters();
                reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
            }
            ("POST", Some(rest)) => {
                let parts: Vec<&str> = rest.split('/').collect();
                let outcome = match parts.as_slice() {
                    ["invocation", _, "response"] => Outcome::Response(json()),
                    ["invocation", _, "error"] => Outcome::Error {
                        error_type_header: error_type,
                        body: json(),
                    },
                    _ => return self.protocol_error(format!("POST {path}")),
                };
                let mut inner = self.inner.lock().unwrap();
                if inner
                    .outcomes
                    .insert(parts[1].to_owned(), outcome)
                    .is_some()
                {
                    inner
                        .protocol_errors
                        .push(format!("second answer to {}", parts[1]));
                }
                drop(inner);
                self.answered.notify_waiters();
                reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
            }
            _ => self.protocol_error(format!("{method} {path}")),
        }
    }

    fn protocol_error(&self, what: String) -> Response<Full<Bytes>> {
        self.inner.lock().unwrap().protocol_errors.push(what);
        reply(StatusCode::NOT_FOUND, r#"{"errorMessage":"unknown path"}"#)
    }

    async fn next(&self) -> Response<Full<Bytes>> {
        loop {
            let queued = self.queued.notified();
            if let Some((id, payload)) = self.inner.lock().unwrap().pending.pop_front() {
                let deadline =
                    SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(10);
                return Response::builder()
                    .header("lambda-runtime-aws-request-id", &id)
                    .header(
                        "lambda-runtime-deadline-ms",
                        deadline.as_millis().to_string(),
                    )
                    .header(
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:000000000000:function:test",
                    )
                    .header("lambda-runtime-trace-id", format!("Root=1-00000000-{id}"))
                    .body(Full::new(Bytes::from(payload)))
                    .unwrap();
            }
            queued.await;
        }
    }
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

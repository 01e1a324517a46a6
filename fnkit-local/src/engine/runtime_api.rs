//! The Lambda Runtime API one execution environment's worker talks to, on its own listener on
//! 127.0.0.1 (so `AWS_LAMBDA_RUNTIME_API` is a plain `host:port`, as on Lambda): `GET /next`
//! long-polls for the environment's next invocation, `POST /response` and `/error` answer it,
//! `POST /init/error` reports a failed start. It keeps the Runtime Interface Emulator's rules
//! (aws-lambda-runtime-interface-emulator, `internal/lambda/rapi/handler/*` and
//! `internal/lambda/core/states.go`): an answer is capped at 6 MiB + 100 bytes (413); an answer
//! for a request id that is not the current one is `400 InvalidRequestID`; a second answer for
//! the current one, or an init error after init, is `403 InvalidStateTransition`. A connection
//! from a process that is not the worker or one of its descendants is answered `403 Forbidden`
//! on every request ([`super::peer`]).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};

/// The largest synchronous request or response (Lambda: 6 MB).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// The largest answer a runtime may post: the RIE's `MaxPayloadSize`, 6 MiB + 100 bytes
/// (`internal/lambda/interop/model.go`).
pub(crate) const MAX_ANSWER_BYTES: usize = MAX_RESPONSE_BYTES + 100;

/// An invocation handed to the worker on `/next`.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub request_id: String,
    pub payload: Bytes,
    pub deadline_ms: u64,
    pub function_arn: String,
    pub trace_id: String,
    pub client_context: Option<String>,
}

/// What the worker posted for an invocation.
#[derive(Debug)]
pub(crate) enum Answer {
    Response(Bytes),
    Error {
        error_type: String,
        body: Bytes,
    },
    /// Over [`MAX_ANSWER_BYTES`]; the size, when the runtime said it (`Content-Length`).
    TooLarge(Option<u64>),
}

/// The init error a worker reported.
#[derive(Debug, Clone)]
pub(crate) struct InitError {
    pub error_type: String,
    pub message: String,
    /// What the runtime posted, which the caller receives unchanged (none when the emulator
    /// itself gave up on the init).
    pub body: Option<Bytes>,
}

/// The state of one environment's API, shared by the server and the invoker.
pub(crate) struct Api {
    deliveries: tokio::sync::Mutex<mpsc::Receiver<Delivery>>,
    in_flight: Mutex<Option<(String, oneshot::Sender<Answer>)>>,
    /// The request id answered last: answering it again is a forbidden transition.
    answered: Mutex<Option<String>>,
    /// Set when the worker first asks for `/next`: init is over.
    ready: watch::Sender<Option<Instant>>,
    init_error: watch::Sender<Option<InitError>>,
    /// The worker's process id, once it is started: only its connections are served.
    worker: watch::Sender<Option<u32>>,
}

/// The invoker's side of an environment's API.
pub(crate) struct ApiHandle {
    pub api: Arc<Api>,
    deliver: mpsc::Sender<Delivery>,
    pub address: String,
}

impl ApiHandle {
    /// Binds a listener on 127.0.0.1:0 and serves the API on it until `shutdown` fires.
    pub async fn start(shutdown: watch::Receiver<bool>) -> std::io::Result<ApiHandle> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let (deliver, deliveries) = mpsc::channel(1);
        let api = Arc::new(Api {
            deliveries: tokio::sync::Mutex::new(deliveries),
            in_flight: Mutex::new(None),
            answered: Mutex::new(None),
            ready: watch::channel(None).0,
            init_error: watch::channel(None).0,
            worker: watch::channel(None).0,
        });
        tokio::spawn(serve(listener, api.clone(), shutdown));
        Ok(ApiHandle {
            api,
            deliver,
            address,
        })
    }

    /// Says which process is the worker: its connections, and those of the processes it starts,
    /// are served from now on.
    pub fn serve_worker(&self, pid: u32) {
        self.api.worker.send_replace(Some(pid));
    }

    /// Hands an invocation to the worker and returns where its answer will arrive.
    pub async fn deliver(&self, delivery: Delivery) -> Option<oneshot::Receiver<Answer>> {
        let (tx, rx) = oneshot::channel();
        *self.api.in_flight.lock().unwrap() = Some((delivery.request_id.clone(), tx));
        self.deliver.send(delivery).await.ok()?;
        Some(rx)
    }

    /// Forgets the invocation in flight (after a timeout or a crash), so a late answer is refused.
    pub fn abandon(&self) {
        self.api.in_flight.lock().unwrap().take();
    }

    pub fn ready(&self) -> watch::Receiver<Option<Instant>> {
        self.api.ready.subscribe()
    }

    pub fn init_error(&self) -> watch::Receiver<Option<InitError>> {
        self.api.init_error.subscribe()
    }
}

/// Connections being told apart (worker's or not) at once; more wait in the kernel's backlog.
const MOST_CHECKING: usize = 32;
/// Strangers' connections answered at once; more are closed unanswered.
const MOST_STRANGERS: usize = 8;
/// How long a stranger may take to send a request's head.
const STRANGER_HEAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Accepts connections until `shutdown` fires. The worker's connections are served; a
/// stranger's get `403` and are closed after one answer. A flood of strangers is bounded: at most
/// [`MOST_CHECKING`] connections are checked at once (the rest wait to be accepted) and
/// [`MOST_STRANGERS`] answered (the rest are closed at once), so it costs neither descriptors nor
/// the worker its API.
async fn serve(listener: TcpListener, api: Arc<Api>, mut shutdown: watch::Receiver<bool>) {
    let checking = Arc::new(Semaphore::new(MOST_CHECKING));
    let strangers = Arc::new(Semaphore::new(MOST_STRANGERS));
    loop {
        // A connection waits for a check slot in the kernel's backlog, not dropped: the worker's
        // own connection must get through a flood of strangers.
        let check = tokio::select! {
            slot = checking.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors, say: wait rather than spin.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let api = api.clone();
        let strangers = strangers.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let Ok(local) = stream.local_addr() else {
                return;
            };
            let is_workers = tokio::select! {
                is_workers = api.is_workers(peer, local) => is_workers,
                _ = stop.changed() => return,
            };
            drop(check);
            let mut builder = hyper::server::conn::http1::Builder::new();
            let _stranger = if is_workers {
                None
            } else {
                let Ok(turn) = strangers.try_acquire_owned() else {
                    return;
                };
                builder
                    .keep_alive(false)
                    .timer(TokioTimer::new())
                    .header_read_timeout(STRANGER_HEAD_TIMEOUT);
                Some(turn)
            };
            let service = hyper::service::service_fn(move |req| {
                let api = api.clone();
                async move {
                    Ok::<_, Infallible>(if is_workers {
                        api.handle(req).await
                    } else {
                        not_the_worker()
                    })
                }
            });
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = stop.changed() => {}
            }
        });
    }
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn accepted() -> Response<Full<Bytes>> {
    reply(StatusCode::ACCEPTED, &br#"{"status":"OK"}"#[..])
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message});
    reply(status, serde_json::to_vec(&body).unwrap_or_default())
}

impl Api {
    /// Whether the connection from `peer` is the worker's (or its descendants'). A connection
    /// that arrives before the worker's process id is known waits for it.
    async fn is_workers(&self, peer: std::net::SocketAddr, local: std::net::SocketAddr) -> bool {
        let mut worker = self.worker.subscribe();
        let Some(pid) = worker
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|pid| *pid)
        else {
            return false;
        };
        tokio::task::spawn_blocking(move || super::peer::is_workers(pid, peer, local))
            .await
            .unwrap_or(false)
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
            return error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "unknown Runtime API path",
            );
        };
        let method = req.method().clone();
        match (method, rest) {
            (http::Method::GET, "invocation/next") => self.next().await,
            (http::Method::POST, "init/error") => self.init_failed(req).await,
            (http::Method::POST, rest) => self.answer(rest, req).await,
            _ => error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "unsupported method",
            ),
        }
    }

    /// `POST /runtime/init/error`: the worker could not start. Once it asked for an invocation,
    /// init is over and this is a forbidden transition (the RIE's `RuntimeStartedState` alone
    /// allows it).
    async fn init_failed(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        if self.ready.borrow().is_some() {
            return forbidden("RuntimeReadyState", "RuntimeInitErrorState");
        }
        let error_type = header(&req, "lambda-runtime-function-error-type");
        let body = match read(req).await {
            Ok(body) => body,
            Err(response) => return response,
        };
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let error_type = error_type
            .or_else(|| parsed["errorType"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "Runtime.Unknown".to_owned());
        let message = parsed["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.init_error.send_replace(Some(InitError {
            error_type,
            message,
            body: Some(body),
        }));
        accepted()
    }

    /// `POST /runtime/invocation/{id}/response|error`: the answer to the invocation in flight.
    async fn answer(&self, rest: &str, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let Some((id, kind)) = rest
            .strip_prefix("invocation/")
            .and_then(|r| r.split_once('/'))
        else {
            return error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "unknown Runtime API path",
            );
        };
        if kind != "response" && kind != "error" {
            return error(
                StatusCode::NOT_FOUND,
                "NotFound",
                "unknown Runtime API path",
            );
        }
        let id = id.to_owned();
        let is_error = kind == "error";
        let error_type = header(&req, "lambda-runtime-function-error-type");
        let sender = {
            let mut in_flight = self.in_flight.lock().unwrap();
            match in_flight.as_ref() {
                Some((current, _)) if *current == id => in_flight.take().map(|(_, tx)| tx),
                _ => None,
            }
        };
        let Some(sender) = sender else {
            if self.answered.lock().unwrap().as_deref() == Some(id.as_str()) {
                return forbidden("RuntimeResponseSentState", "RuntimeResponseSentState");
            }
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestID",
                "Invalid request ID",
            );
        };
        *self.answered.lock().unwrap() = Some(id.clone());
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let answer = match read(req).await {
            Ok(body) if is_error => {
                let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let error_type = error_type
                    .or_else(|| parsed["errorType"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| "Unhandled".to_owned());
                Answer::Error { error_type, body }
            }
            Ok(body) => Answer::Response(body),
            Err(response) => {
                let _ = sender.send(Answer::TooLarge(declared));
                return response;
            }
        };
        let _ = sender.send(answer);
        accepted()
    }

    async fn next(&self) -> Response<Full<Bytes>> {
        if self.ready.borrow().is_none() {
            self.ready.send_replace(Some(Instant::now()));
        }
        let delivery = self.deliveries.lock().await.recv().await;
        let Some(d) = delivery else {
            return error(
                StatusCode::GONE,
                "EnvironmentShutdown",
                "the environment is shutting down",
            );
        };
        let mut response = Response::builder()
            .header("lambda-runtime-aws-request-id", &d.request_id)
            .header("lambda-runtime-deadline-ms", d.deadline_ms.to_string())
            .header("lambda-runtime-invoked-function-arn", &d.function_arn)
            .header("lambda-runtime-trace-id", &d.trace_id)
            .header(http::header::CONTENT_TYPE, "application/json");
        if let Some(cc) = &d.client_context {
            response = response.header("lambda-runtime-client-context", cc);
        }
        response.body(Full::new(d.payload)).unwrap_or_else(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal",
                "bad delivery headers",
            )
        })
    }
}

/// The answer to every request on a connection that is not the worker's.
fn not_the_worker() -> Response<Full<Bytes>> {
    error(
        StatusCode::FORBIDDEN,
        "Forbidden",
        "this Runtime API serves its environment's worker and the processes the worker started; \
         this connection comes from another process",
    )
}

/// The RIE's answer to a transition its state machine does not allow (`ErrNotAllowed`).
fn forbidden(from: &str, to: &str) -> Response<Full<Bytes>> {
    error(
        StatusCode::FORBIDDEN,
        "InvalidStateTransition",
        &format!("State transition from {from} to {to} failed for runtime. Error: State transition is not allowed"),
    )
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads a body of at most [`MAX_ANSWER_BYTES`], or the RIE's 413.
async fn read(req: Request<Incoming>) -> Result<Bytes, Response<Full<Bytes>>> {
    match Limited::new(req.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await
    {
        Ok(body) => Ok(body.to_bytes()),
        Err(_) => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("Exceeded maximum allowed payload size ({MAX_ANSWER_BYTES} bytes)."),
        )),
    }
}

#[cfg(test)]
#[path = "runtime_api_tests.rs"]
mod tests;

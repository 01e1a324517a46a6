//! The emulator's HTTP front on one port. [`handle`] owns dispatch: the AWS Invoke API
//! (`/2015-03-31/functions/{name}/invocations`), the `/_fnkit/` APIs, and everything else through
//! the HTTP-trigger gateway. Each front is one file; `reply.rs` holds what they all write.
//!
//! | path | front |
//! |---|---|
//! | `/2015-03-31/functions/{name}/invocations` | `invoke_api.rs` |
//! | `/2025-12-01/...` (durable executions) | `durable_api.rs` |
//! | `/_fnkit/buckets/...` | `buckets.rs` |
//! | `/_fnkit/queues/...`, `/_fnkit/async/...` | `queues.rs` |
//! | `/_fnkit/schedules/{function}` | `schedules.rs` |
//! | `/_fnkit/executions[/{arn}]` (durable executions) | `executions.rs` |
//! | `/_fnkit/events` (the live feed, server-sent events) | `events.rs` |
//! | `/_fnkit/` and `/_fnkit/ui/...` (the dashboard's page) | `dashboard/` |
//! | `/_fnkit/invocations/{request_id}[/replay]` | `invocations.rs` |
//! | `/_fnkit/functions`, `invocations`, `stats`, `metrics` | `admin.rs` |
//! | signed for `s3` (SigV4 credential scope) | `crate::s3` |
//! | signed for `sqs`, or `X-Amz-Target: AmazonSQS.*` | `crate::sqs` |
//! | signed for another service the emulator does not serve | a 400 naming it |
//! | anything else | `gateway.rs`, by the route table |

mod admin;
mod buckets;
mod dashboard;
mod durable_api;
mod events;
mod executions;
mod gateway;
pub(crate) mod guard;
mod invocations;
pub(crate) mod invoke_api;
mod queues;
mod reply;
mod schedules;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use fnkit::route::RouteTable;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::engine::Engine;
use crate::sources::buckets::Buckets;
use crate::work::Work;
use reply::Reply;

/// What the fronts serve from.
#[derive(Debug)]
pub(crate) struct Front {
    pub engine: Arc<Engine>,
    pub work: Arc<Work>,
    pub buckets: Arc<Buckets>,
    /// The durable execution service.
    pub durable: Arc<crate::durable::Durable>,
    /// The HTTP triggers' routes, across every served binary.
    pub routes: RouteTable,
    /// `http://127.0.0.1:<port>`, for the URLs the admin API lists.
    pub base_url: String,
    /// The S3 API over the buckets.
    pub s3: s3s::service::S3Service,
    /// Who may use it (Host, Origin, the admin token).
    pub guard: guard::Guard,
    /// Set when the emulator stops: the live streams end.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// What the accept loop sends: a whole answer (every front but one), or a streamed one (an S3
/// object), without boxing the whole ones.
type Answer = http::Response<Either<Full<Bytes>, crate::s3::BoxBody>>;

/// Answers one request: an AWS API call by the service it is signed for, the rest by path.
async fn dispatch(front: Arc<Front>, req: Request<Incoming>) -> Answer {
    let mut answer = route(front, req).await;
    if answer.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
        // The refused body may not have been read to its end: this connection is done, and the
        // client is told so rather than finding out on its next request.
        answer.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    answer
}

async fn route(front: Arc<Front>, req: Request<Incoming>) -> Answer {
    let whole = |reply: Reply| reply.map(Either::Left);
    if let Err(refusal) = front.guard.check(req.method(), req.uri(), req.headers()) {
        return whole(refusal.reply());
    }
    if req.uri().path() == "/_fnkit/events" && req.method() == http::Method::GET {
        return events::stream(&front).map(Either::Right);
    }
    match signed_service(&req).as_deref() {
        Some("s3") => crate::s3::handle(&front.s3, req).await.map(Either::Right),
        Some("sqs") => whole(crate::sqs::handle(&front.engine, &front.work, req).await),
        None if sqs_target(&req) => whole(crate::sqs::handle(&front.engine, &front.work, req).await),
        // Lambda's API is told by its paths; an API Gateway call signed with IAM is a route.
        None | Some("lambda" | "execute-api") => whole(handle(front, req).await),
        Some(other) => whole(reply::message(
            http::StatusCode::BAD_REQUEST,
            format!("fnkit-local does not serve the AWS service `{other}` (the request's SigV4 credential scope); it serves s3, sqs and lambda"),
        )),
    }
}

/// An unsigned SQS call: `X-Amz-Target: AmazonSQS.<Action>`.
fn sqs_target(req: &Request<Incoming>) -> bool {
    req.headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("AmazonSQS."))
}

/// The service a request is signed for: the fourth field of the SigV4 credential scope
/// (`Credential=AKID/20260101/us-east-1/s3/aws4_request`), from the `Authorization` header or a
/// presigned URL's `X-Amz-Credential`.
fn signed_service(req: &Request<Incoming>) -> Option<String> {
    let scope = |credential: &str| credential.split('/').nth(3).map(str::to_owned);
    if let Some(auth) = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let credential = auth.split("Credential=").nth(1)?;
        return scope(credential.split([',', ' ']).next()?);
    }
    let query = req.uri().query()?;
    let credential = query
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Credential="))?;
    scope(&percent_encoding::percent_decode_str(credential).decode_utf8_lossy())
}

/// Answers one request.
pub(crate) async fn handle(front: Arc<Front>, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    if let Some(name) = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
    {
        return invoke_api::handle(&front, name, req).await;
    }
    if let Some(rest) = path.strip_prefix("/2025-12-01/") {
        return durable_api::handle(&front, rest, req).await;
    }
    if path == "/_fnkit" {
        let mut moved = reply::empty(http::StatusCode::PERMANENT_REDIRECT);
        moved.headers_mut().insert(
            http::header::LOCATION,
            http::HeaderValue::from_static("/_fnkit/"),
        );
        return moved;
    }
    let Some(rest) = path.strip_prefix("/_fnkit/") else {
        return gateway::handle(&front, req).await;
    };
    if req.method() == http::Method::GET {
        if let Some(file) = dashboard::file(rest) {
            return file;
        }
    }
    let segments: Vec<&str> = rest.splitn(3, '/').collect();
    match segments.first().copied() {
        Some("buckets") => buckets::handle(&front, &segments[1..], req).await,
        Some("queues" | "async") => queues::handle(&front, &segments, req).await,
        Some("schedules") => schedules::handle(&front, &segments[1..], req).await,
        Some("invocations") if segments.len() > 1 => {
            invocations::handle(&front, &segments[1..], req).await
        }
        Some("executions") => {
            let after = rest.strip_prefix("executions").unwrap_or_default();
            executions::handle(&front, after, &req).await
        }
        _ => admin::handle(&front, rest, req).await,
    }
}

/// Accepts connections on `listener` until `shutdown` completes (fnkit's accept loop, shared
/// with its HTTP mode); returns the handle that waits for the connections still open.
pub(crate) async fn serve(
    listener: TcpListener,
    front: Arc<Front>,
    shutdown: impl Future,
) -> GracefulShutdown {
    let logs = front.engine.logs.clone();
    if let Some(warning) = listener
        .local_addr()
        .ok()
        .and_then(|at| front.guard.warning(at))
    {
        logs.info(&warning);
    }
    let config = &front.engine.config;
    let limits = fnkit::platform::Limits {
        header_timeout: config.header_timeout,
        max_connections: connection_cap(config.max_connections),
    };
    let on_trouble =
        move |trouble: fnkit::platform::Trouble<'_>| logs.info(&format!("fnkit-local: {trouble}"));
    let handle = move |req| dispatch(front.clone(), req);
    fnkit::platform::serve_http1(listener, limits, shutdown, on_trouble, handle).await
}

/// The connections the front may hold: `configured`, and at most half of the descriptors this
/// process may open (`serve_http1` keeps it at one or more), so its own files, workers' pipes and Runtime API sockets always find one.
/// The soft limit is raised to the hard one first (capped at 65,536), as Go programs do: a shell's
/// default of 1,024 is low for a server.
fn connection_cap(configured: usize) -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let wanted = limit.maximum.unwrap_or(u64::MAX).min(65_536);
    let soft = match limit.current {
        Some(soft) if soft < wanted => {
            let raised = Rlimit {
                current: Some(wanted),
                maximum: limit.maximum,
            };
            if setrlimit(Resource::Nofile, raised).is_ok() {
                wanted
            } else {
                soft
            }
        }
        Some(soft) => soft,
        None => wanted,
    };
    configured.min(usize::try_from(soft / 2).unwrap_or(usize::MAX))
}

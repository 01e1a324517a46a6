//! The emulator's HTTP front on one port. [`handle`] owns dispatch: the AWS Invoke API
//! (`/2015-03-31/functions/{name}/invocations`), the `/_fnkit/` APIs, and everything else through
//! the HTTP-trigger gateway. Each front is one file; `reply.rs` holds what they all write.
//!
//! | path | front |
//! |---|---|
//! | `/2015-03-31/functions/{name}/invocations` | `invoke_api.rs` |
//! | `/_fnkit/buckets/...` | `buckets.rs` |
//! | `/_fnkit/queues/...`, `/_fnkit/async/...` | `queues.rs` |
//! | `/_fnkit/schedules/{function}` | `schedules.rs` |
//! | `/_fnkit/functions`, `invocations`, `stats`, `metrics` | `admin.rs` |
//! | anything else | `gateway.rs`, by the route table |

mod admin;
mod buckets;
mod gateway;
pub(crate) mod invoke_api;
mod queues;
mod reply;
mod schedules;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fnkit::route::RouteTable;
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
    /// The HTTP triggers' routes, across every served binary.
    pub routes: RouteTable,
    /// `http://127.0.0.1:<port>`, for the URLs the admin API lists.
    pub base_url: String,
}

/// Answers one request.
pub(crate) async fn handle(front: Arc<Front>, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    if let Some(name) = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
    {
        let name = invoke_api::function_name(name);
        return invoke_api::handle(&front, &name, req).await;
    }
    let Some(rest) = path.strip_prefix("/_fnkit/") else {
        return gateway::handle(&front, req).await;
    };
    let segments: Vec<&str> = rest.splitn(3, '/').collect();
    match segments.first().copied() {
        Some("buckets") => buckets::handle(&front, &segments[1..], req).await,
        Some("queues" | "async") => queues::handle(&front, &segments, req).await,
        Some("schedules") => schedules::handle(&front, &segments[1..], req).await,
        _ => admin::handle(&front, rest, req).await,
    }
}

/// How long a client may take to send a request's head before its connection is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts connections on `listener` until `shutdown` completes (fnkit's accept loop, shared
/// with its HTTP mode); returns the handle that waits for the connections still open.
pub(crate) async fn serve(
    listener: TcpListener,
    front: Arc<Front>,
    shutdown: impl Future,
) -> GracefulShutdown {
    let logs = front.engine.logs.clone();
    let on_error = move |e: &std::io::Error, wait: Duration| {
        let m = format!(
            "fnkit-local: accept failed: {e}; retrying in {} ms",
            wait.as_millis()
        );
        logs.info(&m);
    };
    let handle = move |req| handle(front.clone(), req);
    fnkit::platform::serve_http1(listener, HEADER_READ_TIMEOUT, shutdown, on_error, handle).await
}

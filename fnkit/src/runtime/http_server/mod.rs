//! The HTTP mode, for Knative, Cloud Run and OpenFaaS: every registered function served by one
//! HTTP server on `$PORT`. HTTP functions answer on their routes; every other function takes
//! CloudEvents at `POST /{function}`. A CloudEvent goes through the same decode → handler →
//! encode path as on Lambda; an HTTP request is handed to its handler as the `http::Request` it
//! arrived as, and the handler's response sent as it made it, with no API Gateway event written
//! and read in between (`fnkit::event::http::direct`; a handler that takes the platform's own
//! v2 event gets one). Functions
//! Framework conventions: 400 for a malformed event, 429 over a function's concurrency, 504 at
//! its timeout (enforced here, in-process).
//!
//! This file owns the server's life: accepting (with back-off when accepts fail), reading heads
//! under a timeout, and on SIGTERM (how Knative and Cloud Run stop an instance) draining the
//! requests in flight for a grace period before exiting. `handle.rs` answers one request.

mod handle;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::Runtime;
use crate::invocation::StateMap;
use crate::manifest::Trigger;
use crate::registry::{self, FunctionDef};
use crate::route::RouteTable;

/// What stops the HTTP mode.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServerError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("initialisation failed: {} ({})", .0.message(), .0.error_type())]
    Init(crate::Error),
    #[error(transparent)]
    Duplicate(#[from] registry::DuplicateName),
    #[error(transparent)]
    Routes(#[from] crate::manifest::RoutesError),
}

/// A served function and its concurrency slots.
struct Served {
    def: &'static FunctionDef,
    slots: Arc<Semaphore>,
    /// An HTTP function's route key (`GET /items/{id}`), as API Gateway names it.
    route_key: Option<Arc<str>>,
}

impl Served {
    /// Served on its HTTP route rather than as `POST /{name}`.
    fn http(&self) -> bool {
        self.route_key.is_some()
    }
}

/// Everything a request is answered from.
struct App {
    functions: HashMap<String, Served>,
    table: RouteTable,
    routes: Vec<String>,
    state: Arc<StateMap>,
}

/// A number from the environment, or `default` when it is unset or not a number.
fn from_env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A duration in whole seconds from the environment, or `default`.
fn seconds_from_env(name: &str, default: u64) -> Duration {
    Duration::from_secs(from_env(name, default))
}

impl App {
    fn new(state: Arc<StateMap>) -> Result<App, ServerError> {
        let default_concurrency: usize = from_env("FNKIT_CONCURRENCY", 100);
        let defs = registry::functions()?;
        let table = crate::manifest::route_table(defs.iter().map(|d| d.spec()))?;
        let mut functions = HashMap::new();
        let mut routes = Vec::new();
        for def in defs {
            let spec = def.spec();
            let route_key: Option<Arc<str>> = match &spec.trigger {
                Trigger::Http { method, path } => Some(Arc::from(format!("{method} {path}"))),
                _ => None,
            };
            routes.push(match &route_key {
                Some(key) => key.to_string(),
                None => format!("POST /{} (CloudEvents)", spec.name),
            });
            let limit = spec
                .concurrency
                .map_or(default_concurrency, |c| c as usize)
                .max(1);
            let slots = Arc::new(Semaphore::new(limit));
            let served = Served {
                def,
                slots,
                route_key,
            };
            functions.insert(spec.name.to_string(), served);
        }
        Ok(App {
            functions,
            table,
            routes,
            state,
        })
    }
}

/// Serves every function on `host:port` until SIGTERM or Ctrl-C, then drains. The cold-start
/// set-up runs (and every function's state is checked) before the port is bound, so a platform
/// that waits for the port to open sends no request to a process still setting up.
pub(crate) async fn serve(host: &str, port: u16, runtime: Runtime) -> Result<(), ServerError> {
    let defs = registry::functions()?;
    let state = runtime.prepare(&defs).await.map_err(ServerError::Init)?;
    let app = Arc::new(App::new(Arc::new(state))?);
    let address = format!("{host}:{port}");
    let bind = |source| ServerError::Bind {
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(&address).await.map_err(bind)?;
    let local = listener.local_addr().map_err(bind)?;
    println!(
        "fnkit: serving {} function(s) on http://{local}",
        app.functions.len()
    );
    accept_loop(listener, app, stop_signal()).await;
    Ok(())
}

/// SIGTERM (what Knative and Cloud Run send) or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async {
                match term.as_mut() {
                    Some(t) => { t.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn accept_loop(listener: TcpListener, app: Arc<App>, stop: impl Future<Output = ()>) {
    let limits = crate::platform::Limits {
        header_timeout: seconds_from_env("FNKIT_HEADER_TIMEOUT_SECS", 30),
        max_connections: from_env("FNKIT_MAX_CONNECTIONS", 4096),
    };
    let grace = seconds_from_env("FNKIT_SHUTDOWN_GRACE_SECS", 10);
    let on_error = |trouble: crate::platform::Trouble<'_>| eprintln!("fnkit: {trouble}");
    let handle = move |req| {
        let app = app.clone();
        async move { handle::handle(&app, req).await }
    };
    let graceful = crate::platform::serve_http1(listener, limits, stop, on_error, handle).await;
    println!(
        "fnkit: stopping; finishing requests in flight (up to {} s)",
        grace.as_secs()
    );
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("fnkit: requests still in flight after the grace period; exiting anyway");
    }
}

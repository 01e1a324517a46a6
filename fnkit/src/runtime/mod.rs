//! Start-up: [`run`] and [`Runtime`] pick the mode from the command line and the environment,
//! and every mode calls functions through [`Runtime::invoke`]: decode → handler → encode, with a
//! panic caught and turned into an error.

mod catch;
mod cloudevent;
mod http_server;
mod lambda;
pub(crate) mod log;
mod setup;

use std::sync::Arc;

use tracing::Instrument;

use crate::invocation::{Invocation, StateMap};
use crate::registry::{self, FunctionDef};
use crate::{Context, Error};

/// The flag that makes a binary print its manifest and exit.
pub const DESCRIBE_FLAG: &str = "--fnkit-describe";

/// Runs the registered functions in the mode the environment asks for. Call it from `main`:
///
/// ```no_run
/// fn main() {
///     fnkit::run()
/// }
/// ```
///
/// - `<binary> --fnkit-describe` prints the JSON manifest of the registered functions and exits.
/// - With `AWS_LAMBDA_RUNTIME_API` set (on AWS Lambda, or under `fnkit-local`), it serves the
///   function named by `_HANDLER` through the Lambda Runtime API, one invocation at a time.
/// - With `PORT` set (Knative, Cloud Run) or `FNKIT_MODE=http`, it serves every function over
///   HTTP on `$PORT` (default 8080): HTTP functions on their routes, the others as CloudEvents
///   at `POST /{function}`.
/// - Otherwise it lists the functions and says how to serve them locally.
///
/// Use [`Runtime`] to share state with handlers, set up synchronously or asynchronously.
pub fn run() {
    Runtime::new().run()
}

/// The function runtime, with the state shared by handlers and the cold-start set-up that makes
/// it.
///
/// Set-up runs once per execution environment, before the first invocation (Lambda counts it in
/// Init Duration), and not at all for `--fnkit-describe`. A function that takes a `State<T>` no
/// set-up provides fails the environment's start (`Runtime.MissingState`), not its first call.
///
/// ```no_run
/// struct Config { greeting: String }
/// struct Db { url: String }
///
/// async fn connect(url: String) -> Result<Db, std::io::Error> {
///     Ok(Db { url }) // a pool that connects, an SDK client that loads its configuration, ...
/// }
///
/// fn main() {
///     fnkit::Runtime::new()
///         .state(Config { greeting: "hello".into() })
///         .try_state_async(connect("postgres://localhost/app".into()))
///         .run()
/// }
/// ```
///
/// Under `#[tokio::main]`, [`Runtime::serve`] does the same on your runtime.
#[derive(Default)]
pub struct Runtime {
    state: StateMap,
    setups: Vec<setup::Setup>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("state", &self.state)
            .field("pending_setups", &self.setups.len())
            .finish()
    }
}

/// How the process was asked to run.
enum Mode {
    Describe,
    Lambda(String),
    Http { host: String, port: u16 },
    Help,
}

impl Mode {
    fn detect() -> Mode {
        if std::env::args().skip(1).any(|a| a == DESCRIBE_FLAG) {
            return Mode::Describe;
        }
        if let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") {
            return Mode::Lambda(api);
        }
        let http_mode = std::env::var("FNKIT_MODE").is_ok_and(|m| m == "http")
            || std::env::var_os("PORT").is_some();
        if !http_mode {
            return Mode::Help;
        }
        let port = std::env::var("PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(8080);
        // Containers must listen on every interface; FNKIT_HOST narrows it (tests: 127.0.0.1).
        let host = std::env::var("FNKIT_HOST").unwrap_or_else(|_| "0.0.0.0".to_owned());
        Mode::Http { host, port }
    }
}

/// Prints why the process stops and exits with `code`.
fn fatal(message: impl std::fmt::Display, code: i32) -> ! {
    eprintln!("fnkit: {message}");
    std::process::exit(code)
}

impl Runtime {
    /// A runtime with no state.
    pub fn new() -> Self {
        Runtime::default()
    }

    /// Adds a value that handlers take as `State<T>`.
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Adds a value that handlers take as `State<T>`, made by `make` at cold start on the
    /// runtime that serves the handlers (so clients holding connection pools keep working):
    ///
    /// ```no_run
    /// # struct Client;
    /// # async fn load_client() -> Client { Client }
    /// fnkit::Runtime::new().state_async(load_client()).run()
    /// ```
    #[must_use]
    pub fn state_async<T, F>(mut self, make: F) -> Self
    where
        T: Send + Sync + 'static,
        F: std::future::Future<Output = T> + Send + 'static,
    {
        self.setups.push(setup::infallible(make));
        self
    }

    /// [`state_async`](Runtime::state_async) for a set-up that may fail: an error stops the
    /// environment before its first invocation, reported as its init error with the error's type
    /// name as `errorType` (on Lambda, through `/runtime/init/error`).
    #[must_use]
    pub fn try_state_async<T, E, F>(mut self, make: F) -> Self
    where
        T: Send + Sync + 'static,
        E: std::fmt::Display + 'static,
        F: std::future::Future<Output = Result<T, E>> + Send + 'static,
    {
        self.setups.push(setup::fallible(make));
        self
    }

    /// Runs the pending async set-ups now and returns a runtime holding their values: for tests
    /// that call [`Runtime::invoke`] (or `fnkit::testing::invoke_with`) with async state.
    pub async fn setup(self) -> Result<Runtime, Error> {
        let state = setup::prepare(self.state, self.setups, &[]).await?;
        Ok(Runtime {
            state,
            setups: Vec::new(),
        })
    }

    /// Runs in the mode the environment asks for (see [`run`]), on a runtime of its own. Exits
    /// the process on a fatal error, with a message on stderr. Under `#[tokio::main]`, use
    /// [`Runtime::serve`] instead.
    pub fn run(self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            fatal("fnkit::run() was called inside an async runtime (`#[tokio::main]`?); there, write `fnkit::Runtime::new().serve().await`", 2);
        }
        let mode = Mode::detect();
        let runtime = match &mode {
            // One invocation at a time: one thread is enough.
            Mode::Lambda(_) => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            _ => tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build(),
        };
        let runtime =
            runtime.unwrap_or_else(|e| fatal(format!("cannot start the async runtime: {e}"), 1));
        runtime.block_on(self.serve_mode(mode));
        // A handler that never yields would keep a plain drop of the runtime waiting forever.
        runtime.shutdown_background();
    }

    /// [`Runtime::run`] on the caller's async runtime, for a `main` that is `async` already:
    ///
    /// ```no_run
    /// #[tokio::main]
    /// async fn main() {
    ///     fnkit::Runtime::new().serve().await
    /// }
    /// ```
    pub async fn serve(self) {
        self.serve_mode(Mode::detect()).await
    }

    async fn serve_mode(self, mode: Mode) {
        let manifest = registry::manifest().unwrap_or_else(|e| fatal(e, 2));
        match mode {
            Mode::Describe => match serde_json::to_string_pretty(&manifest) {
                Ok(json) => println!("{json}"),
                Err(e) => fatal(format!("cannot write the manifest: {e}"), 2),
            },
            Mode::Lambda(api) => {
                log::init();
                if let Err(e) = lambda::serve(&api, self).await {
                    fatal(e, 1);
                }
            }
            Mode::Http { host, port } => {
                log::init();
                if let Err(e) = http_server::serve(&host, port, self).await {
                    fatal(e, 1);
                }
            }
            Mode::Help => print_help(&manifest),
        }
    }

    /// Runs the set-ups and checks the state of the functions this process serves.
    pub(crate) async fn prepare(self, served: &[&'static FunctionDef]) -> Result<StateMap, Error> {
        setup::prepare(self.state, self.setups, served).await
    }

    /// Invokes the registered function `name` with a raw payload, in-process, through the same
    /// decode → handler → encode path as production. Returns the encoded result.
    pub async fn invoke(
        &self,
        name: &str,
        payload: Vec<u8>,
        context: Context,
    ) -> Result<Vec<u8>, Error> {
        let def = registry::find(name).ok_or_else(|| {
            let names: Vec<String> = inventory::iter::<FunctionDef>
                .into_iter()
                .map(|d| d.name().to_owned())
                .collect();
            Error::new(
                "ResourceNotFoundException",
                format!(
                    "no function named `{name}` is registered; registered: {}",
                    names.join(", ")
                ),
            )
        })?;
        if !self.setups.is_empty() {
            return Err(Error::new(
                "Runtime.SetupPending",
                "this runtime has async set-ups that have not run; call `.setup().await` first",
            ));
        }
        call(def, payload, context, Arc::new(self.state.clone())).await
    }
}

/// Calls one function, in a span carrying the request id, with panics caught.
pub(crate) async fn call(
    def: &'static FunctionDef,
    payload: Vec<u8>,
    context: Context,
    state: Arc<StateMap>,
) -> Result<Vec<u8>, Error> {
    call_with(def, payload, http::Extensions::new(), context, state).await
}

/// [`call`] with what the caller already knows for the trigger's decoder and encoder, in the
/// invocation's extensions (the HTTP mode's direct request).
pub(crate) async fn call_with(
    def: &'static FunctionDef,
    payload: Vec<u8>,
    extensions: http::Extensions,
    context: Context,
    state: Arc<StateMap>,
) -> Result<Vec<u8>, Error> {
    let span = tracing::info_span!(
        "invocation",
        function = def.name(),
        request_id = context.request_id()
    );
    let request_id = context.request_id().to_owned();
    let mut invocation = Invocation::new(def.spec(), payload, context, state);
    invocation.extensions = extensions;
    let handler = catch::catch_unwind(def.call(invocation), "the handler");
    crate::context::with_request_id(&request_id, handler)
        .instrument(span)
        .await
}

fn print_help(manifest: &crate::manifest::Manifest) {
    let exe = std::env::args()
        .next()
        .unwrap_or_else(|| "<binary>".to_owned());
    println!(
        "fnkit {}: {} function(s) registered in {exe}\n",
        manifest.fnkit_version,
        manifest.functions.len()
    );
    for f in &manifest.functions {
        let trigger = match &f.trigger {
            crate::manifest::Trigger::Http { method, path } => format!("http {method} {path}"),
            crate::manifest::Trigger::Storage { bucket, .. } => format!("storage bucket {bucket}"),
            crate::manifest::Trigger::Queue { name, .. } => format!("queue {name}"),
            crate::manifest::Trigger::Schedule(crate::manifest::ScheduleExpr::Cron(c)) => {
                format!("schedule cron {c}")
            }
            crate::manifest::Trigger::Schedule(crate::manifest::ScheduleExpr::Rate(r)) => {
                format!("schedule rate {r}")
            }
            crate::manifest::Trigger::Event if f.durable.is_some() => "event, durable".to_owned(),
            crate::manifest::Trigger::Event => "event".to_owned(),
        };
        println!(
            "  {:<20} {:<36} timeout {}s, memory {} MB",
            f.name, trigger, f.timeout_secs, f.memory_mb
        );
    }
    println!(
        "\nNo platform detected. Serve these functions locally with the emulator:\n    \
         fnkit-local              (in this crate's folder)\n    \
         fnkit-local --bin {exe}\n\
         Print the manifest with `{exe} {DESCRIBE_FLAG}`; on AWS Lambda the Runtime API is used."
    );
}

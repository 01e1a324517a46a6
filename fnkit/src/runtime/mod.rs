//! Start-up: [`run`] and [`Runtime`] pick the mode from the command line and the environment,
//! and every mode calls functions through [`Runtime::invoke`]: decode → handler → encode, with a
//! panic caught and turned into an error.

mod catch;
mod cloudevent;
mod http_server;
mod lambda;
mod log;

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
/// Use [`Runtime`] to share state with handlers.
pub fn run() {
    Runtime::new().run()
}

/// The function runtime, with the state shared by handlers.
///
/// ```no_run
/// struct Db;
/// fn main() {
///     let db = Db; // cold-start set-up: once per process, before any invocation
///     fnkit::Runtime::new().state(db).run()
/// }
/// ```
#[derive(Debug, Default, Clone)]
pub struct Runtime {
    state: StateMap,
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

    /// Runs in the mode the environment asks for (see [`run`]). Exits the process on a fatal
    /// error, with a message on stderr.
    pub fn run(self) {
        let describe = std::env::args().skip(1).any(|a| a == DESCRIBE_FLAG);
        let manifest = match registry::manifest() {
            Ok(m) => m,
            Err(e) => {
                eprintln!("fnkit: {e}");
                std::process::exit(2);
            }
        };
        if describe {
            match serde_json::to_string_pretty(&manifest) {
                Ok(json) => println!("{json}"),
                Err(e) => {
                    eprintln!("fnkit: cannot write the manifest: {e}");
                    std::process::exit(2);
                }
            }
            return;
        }
        if let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") {
            log::init();
            if let Err(e) = lambda::serve(&api, Arc::new(self.state)) {
                eprintln!("fnkit: {e}");
                std::process::exit(1);
            }
            return;
        }
        let http_mode = std::env::var("FNKIT_MODE").is_ok_and(|m| m == "http")
            || std::env::var_os("PORT").is_some();
        if http_mode {
            log::init();
            let port = std::env::var("PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(8080);
            // Containers must listen on every interface; FNKIT_HOST narrows it (tests: 127.0.0.1).
            let host = std::env::var("FNKIT_HOST").unwrap_or_else(|_| "0.0.0.0".to_owned());
            if let Err(e) = http_server::serve(&host, port, Arc::new(self.state)) {
                eprintln!("fnkit: {e}");
                std::process::exit(1);
            }
            return;
        }
        print_help(&manifest);
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
    let span = tracing::info_span!(
        "invocation",
        function = def.name(),
        request_id = context.request_id()
    );
    let invocation = Invocation::new(def.spec(), payload, context, state);
    catch::catch_unwind(def.call(invocation))
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

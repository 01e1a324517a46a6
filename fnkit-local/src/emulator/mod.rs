//! The embeddable emulator: build it with [`Emulator::builder`], serve it on a listener you
//! bound, stop it with a future; it drains in-flight invocations and returns a summary.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod summary;

pub use summary::Summary;

use bytes::Bytes;
use fnkit::manifest::{FunctionSpec, Manifest};
use tokio::net::TcpListener;

use crate::build::{self, TargetError};
use crate::config::Config;
use crate::db::DbError;
use crate::durable::{Durable, DurableStore};
use crate::engine::gate::Builds;
use crate::engine::{Engine, InvokeError, Invoked, Launch, Mode};
use crate::foreign::ForeignFunction;
use crate::http::{guard::Guard, Front};
use crate::ledger::Ledger;
use crate::observe::logs::Logs;
use crate::sources::buckets::Buckets;
use crate::work::store::Store;
use crate::work::Work;

/// A failure to start the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// A binary could not be described.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The ledger or the work store could not be opened.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Two binaries register the same function name.
    #[error("two functions are named `{name}`: in {first} and in {second}")]
    DuplicateFunction {
        /// The name.
        name: String,
        /// One binary.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// A manifest given with [`EmulatorBuilder::binary_with_manifest`] breaks the rules.
    #[error("the manifest given for {bin}: {error}")]
    Manifest {
        /// The binary.
        bin: PathBuf,
        /// What is wrong.
        error: fnkit::manifest::ManifestError,
    },
    /// A variable given to functions has a name Lambda would refuse.
    #[error("environment for functions: {0}")]
    Env(#[from] fnkit_spec::env::NameError),
    /// Nothing to serve.
    #[error("no functions to serve: the binaries register no #[function]")]
    NoFunctions,
    /// Two functions' routes match the same requests, or a route is malformed.
    #[error(transparent)]
    Routes(#[from] fnkit::manifest::RoutesError),
    /// Two storage functions' notifications overlap, as S3 refuses.
    #[error(transparent)]
    StorageOverlap(#[from] fnkit_spec::storage::Overlap),
    /// The functions reserve more concurrency than the account's pool holds.
    #[error("concurrency: {0}")]
    Concurrency(String),
    /// The listener failed.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

/// What a builder's binaries declare, checked against the rules.
struct Checked {
    functions: Vec<(FunctionSpec, PathBuf)>,
    launches: HashMap<String, Launch>,
    routes: fnkit::route::RouteTable,
    unreserved: u32,
}

/// Builds an [`Emulator`].
#[derive(Debug, Default)]
pub struct EmulatorBuilder {
    config: Config,
    logs: Option<Logs>,
    builds: Option<Builds>,
    binaries: Vec<(PathBuf, Option<Manifest>)>,
    foreign: Vec<ForeignFunction>,
}

impl EmulatorBuilder {
    /// Sets the configuration.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sends the log somewhere other than stdout.
    #[must_use]
    pub fn logs(mut self, logs: Logs) -> Self {
        self.logs = Some(logs);
        self
    }

    /// Waits at this gate, which a watcher closes while it rebuilds (see `--watch`).
    #[must_use]
    pub fn builds(mut self, builds: Builds) -> Self {
        self.builds = Some(builds);
        self
    }

    /// Serves the functions of an fnkit binary (its manifest is read with `--fnkit-describe`).
    #[must_use]
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binaries.push((path.into(), None));
        self
    }

    /// Serves a binary with a manifest given here: for binaries built without fnkit (the official
    /// `lambda_runtime` crate, for instance) that speak the Runtime API but cannot describe
    /// themselves.
    #[must_use]
    pub fn binary_with_manifest(mut self, path: impl Into<PathBuf>, manifest: Manifest) -> Self {
        self.binaries.push((path.into(), Some(manifest)));
        self
    }

    /// Serves a function that is a program of its own (see [`crate::foreign`]).
    pub fn foreign(mut self, function: ForeignFunction) -> Self {
        self.foreign.push(function);
        self
    }

    /// Reads the manifests and checks what they declare, as [`EmulatorBuilder::build`] does,
    /// without opening the state: the variables' names, duplicate functions, overlapping routes
    /// and storage notifications, the account's concurrency, at least one function.
    pub fn check(mut self) -> Result<(), EmulatorError> {
        self.checked().map(drop)
    }

    /// The functions declared, checked.
    fn checked(&mut self) -> Result<Checked, EmulatorError> {
        for (name, _) in &self.config.env {
            fnkit_spec::env::check_name(name)?;
        }
        let mut functions = described(std::mem::take(&mut self.binaries))?;
        let mut launches = HashMap::new();
        for f in std::mem::take(&mut self.foreign) {
            let spec = f.spec();
            if let Some((_, first)) = functions.iter().find(|(s, _)| s.name == spec.name) {
                return Err(EmulatorError::DuplicateFunction {
                    name: f.name,
                    first: first.clone(),
                    second: PathBuf::from(&f.command[0]),
                });
            }
            let mut command = f.command.into_iter();
            let program = PathBuf::from(command.next().unwrap_or_default());
            let launch = Launch {
                args: command.collect(),
                dir: f.dir,
                handler: f.handler,
            };
            launches.insert(f.name, launch);
            functions.push((spec, program));
        }
        if functions.is_empty() {
            return Err(EmulatorError::NoFunctions);
        }
        // One route table across every binary: two routes that would match the same requests
        // are refused here, naming both functions and where they are defined.
        let routes = fnkit::manifest::route_table(functions.iter().map(|(spec, _)| spec))?;
        let specs: Vec<&FunctionSpec> = functions.iter().map(|(spec, _)| spec).collect();
        fnkit_spec::storage::check_overlaps(specs.iter().copied())?;
        let unreserved = crate::engine::unreserved_pool(self.config.max_concurrency, &specs)
            .map_err(EmulatorError::Concurrency)?;
        Ok(Checked {
            functions,
            launches,
            routes,
            unreserved,
        })
    }

    /// Reads the manifests, checks them, opens the state.
    pub fn build(mut self) -> Result<Emulator, EmulatorError> {
        let Checked {
            functions,
            launches,
            routes,
            unreserved,
        } = self.checked()?;
        let logs = self.logs.unwrap_or_default();
        let index_lost = crate::state::prepare(&self.config.state_dir, &logs)?;
        let ledger = Ledger::open(&self.config.state_dir)?;
        let store = Store::open(&self.config.state_dir)?;
        let durable = DurableStore::open(&self.config.state_dir)?;
        let buckets_root = self.config.buckets_root();
        let versions = crate::versions::assign(&self.config.state_dir, &functions)?;
        let mut engine = Engine::new(
            functions,
            launches,
            unreserved,
            &versions,
            self.config,
            ledger,
            logs,
        );
        engine.builds = self.builds.unwrap_or_default();
        let engine = Arc::new(engine);
        let queues: Vec<String> = engine
            .functions
            .values()
            .filter_map(|f| match &f.spec.trigger {
                fnkit::manifest::Trigger::Queue { name, .. } => Some(name.to_string()),
                _ => None,
            })
            .collect();
        let work = Arc::new(Work::new(
            store,
            engine.functions.keys().map(String::as_str),
            queues.iter().map(String::as_str),
        ));
        let buckets = Arc::new(Buckets::new(&buckets_root, engine.clone(), work.clone()));
        let durable = Durable::new(durable, engine.clone());
        Ok(Emulator {
            engine,
            work,
            buckets,
            durable,
            routes,
            index_lost,
        })
    }
}

/// The emulator: serves functions over HTTP with the cloud's limits and accounting.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let emulator = fnkit_local::Emulator::builder().binary("target/debug/hello").build()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let summary = emulator.serve(listener, tokio::signal::ctrl_c()).await?;
/// println!("{summary}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Emulator {
    engine: Arc<Engine>,
    work: Arc<Work>,
    buckets: Arc<Buckets>,
    durable: Arc<Durable>,
    routes: fnkit::route::RouteTable,
    /// The database lost the bucket index: the start-up scan rebuilds it without firing.
    index_lost: bool,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("functions", &self.engine.functions.len())
            .finish_non_exhaustive()
    }
}

/// A served function, as listed at start-up.
#[derive(Debug, Clone)]
pub struct ServedFunction {
    /// Its spec.
    pub spec: FunctionSpec,
    /// Its binary.
    pub binary: PathBuf,
    /// How many of its calls can run at once: its reserved concurrency, or else the unreserved
    /// share of the account's pool, which it shares with the other unreserved functions.
    pub concurrency: u32,
}

impl Emulator {
    /// A builder.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The served functions, sorted by name.
    pub fn functions(&self) -> Vec<ServedFunction> {
        let mut list: Vec<ServedFunction> = self
            .engine
            .functions
            .values()
            .map(|f| ServedFunction {
                spec: f.spec.clone(),
                binary: f.config.binary.clone(),
                concurrency: f.limit,
            })
            .collect();
        list.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
        list
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.engine.ledger
    }

    /// Where it logs.
    pub fn logs(&self) -> &Logs {
        &self.engine.logs
    }

    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Invokes a function directly, synchronously (as the Invoke API does).
    pub async fn invoke(
        &self,
        name: &str,
        payload: impl Into<Bytes>,
    ) -> Result<Invoked, InvokeError> {
        self.engine
            .invoke(name, payload.into(), Mode::Sync, "event")
            .await
    }

    /// Serves on `listener` until `shutdown` completes, then drains: stops accepting, lets
    /// in-flight invocations finish (up to the longest function timeout), stops every worker and
    /// flushes the ledger.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future,
    ) -> Result<Summary, EmulatorError> {
        let address = listener.local_addr()?;
        let (core, cfg) = (self.engine.clone(), &self.engine.config);
        core.set_endpoint(address);
        let recovered = self.work.store.recover().await?;
        if recovered > 0 {
            core.logs.info(&format!(
                "fnkit-local: {recovered} message(s) were in flight when the emulator last stopped; delivering them again"
            ));
        }
        // Tells the live streams to end when the emulator stops, so draining never waits for them.
        let (stopping_tx, stopping) = tokio::sync::watch::channel(false);
        let shutdown = async move {
            shutdown.await;
            let _ = stopping_tx.send(true);
        };
        let front = Arc::new(Front {
            stopping,
            engine: self.engine.clone(),
            work: self.work.clone(),
            buckets: self.buckets.clone(),
            durable: self.durable.clone(),
            routes: self.routes.clone(),
            base_url: format!("http://{address}"),
            s3: crate::s3::service(
                self.buckets.clone(),
                self.engine.config.state_dir.join("multipart"),
            ),
            guard: Guard::new(address, &cfg.allowed_hosts, cfg.admin_token.clone()),
        });
        let interrupted = self.durable.recover().await?;
        if interrupted > 0 {
            core.logs.info(&format!(
                "fnkit-local: {interrupted} durable invocation(s) were in flight when the emulator last stopped; invoking them again"
            ));
        }
        let background = self.start_background().await;
        let graceful = crate::http::serve(listener, front, shutdown).await;
        drain(&core, graceful).await;
        for task in background {
            task.abort();
        }
        core.stop_all();
        let ledger = core.ledger.clone();
        let _ = tokio::task::spawn_blocking(move || ledger.flush()).await;
        Ok(Summary {
            functions: core.metrics.snapshot(),
        })
    }

    /// The idle reaper, the delivery loops, the bucket watcher (awaited: its start-up scan is
    /// over when this returns) and the clocks.
    async fn start_background(&self) -> Vec<tokio::task::JoinHandle<()>> {
        let engine = self.engine.clone();
        let mut tasks = vec![tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                engine.reap_idle();
            }
        })];
        tasks.extend(crate::work::delivery::start(&self.engine, &self.work));
        let tmp_root = self.engine.config.tmp_root();
        tokio::task::spawn_blocking(move || crate::engine::sweep_tmp(&tmp_root));
        let logs = self.engine.logs.clone();
        tasks.extend(
            crate::sources::watcher::start(self.buckets.clone(), logs, self.index_lost).await,
        );
        tasks.extend(crate::sources::schedule::start(&self.engine, &self.work));
        tasks.push(self.durable.start_scheduler());
        tasks
    }
}

/// The functions of `binaries`, each from its manifest (given, and then checked, or described by
/// running the binary); a name defined twice is refused.
fn described(
    binaries: Vec<(PathBuf, Option<Manifest>)>,
) -> Result<Vec<(FunctionSpec, PathBuf)>, EmulatorError> {
    let mut functions: Vec<(FunctionSpec, PathBuf)> = Vec::new();
    for (bin, manifest) in binaries {
        let manifest = match manifest {
            // A manifest given here is held to the rules a described one is checked against.
            Some(m) => {
                m.check().map_err(|e| EmulatorError::Manifest {
                    bin: bin.clone(),
                    error: e,
                })?;
                m
            }
            None => build::describe(&bin)?,
        };
        for spec in manifest.functions {
            if let Some((_, first)) = functions.iter().find(|(s, _)| s.name == spec.name) {
                return Err(EmulatorError::DuplicateFunction {
                    name: spec.name.to_string(),
                    first: first.clone(),
                    second: bin,
                });
            }
            functions.push((spec, bin.clone()));
        }
    }
    Ok(functions)
}

/// Lets connections and invocations in flight finish, up to the longest function timeout.
async fn drain(core: &Engine, graceful: hyper_util::server::graceful::GracefulShutdown) {
    let longest = core
        .functions
        .values()
        .map(|f| f.config.timeout)
        .max()
        .unwrap_or_default()
        + Duration::from_secs(2);
    core.logs.info(&format!(
        "fnkit-local: draining (up to {}s)",
        longest.as_secs()
    ));
    let _ = tokio::time::timeout(longest, graceful.shutdown()).await;
    let deadline = tokio::time::Instant::now() + longest;
    while core.in_flight() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests;

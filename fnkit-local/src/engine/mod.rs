//! The invocation engine: the functions the emulator serves, their pools of warm execution
//! environments (worker processes speaking the Runtime API), the concurrency limits, and the
//! life of one invocation from the limit check to the REPORT line and the ledger row.
//!
//! It knows nothing of HTTP routes, queues or buckets: every front (gateway, Invoke API,
//! delivery loops) calls [`Engine::invoke`].
//!
//! | file | owns |
//! |---|---|
//! | `gate.rs` | whether calls may run now (they wait while `--watch` rebuilds), the build generation |
//! | `invoked.rs` | what a call gives back: [`Invoked`], [`InvokeError`], [`Mode`] |
//! | `function.rs` | a served function: its spec, warm pool, slots, version |
//! | `environment.rs` | one worker process: spawn, deliver, enforce timeout and memory, kill |
//! | `worker.rs` | a worker's command line: the binary, Lambda's variables, nothing inherited |
//! | `runtime_api.rs` | the Runtime API server of one environment |
//! | `concurrency.rs` | the account's pool, reserved concurrency, a running call's slot, throttle reasons |
//! | `judge.rs` | what happened → Lambda's outcome, error body and log lines |
//! | `scratch.rs` | an environment's own `/tmp`, measured against its ephemeral storage |
//! | `tail.rs` | the end of a call's log, for `X-Amz-Log-Type: Tail` |
//! | `ids.rs` | request ids, the clock in ms, a random number for `--reuse random:P` |
//! | `output.rs` | a worker's stdout and stderr, forwarded under the request in flight |
//! | `memory.rs` | a process tree's memory, read from `/proc` |

mod concurrency;
mod environment;
mod function;
pub(crate) mod gate;
mod ids;
mod invoked;
mod judge;
mod memory;
mod output;
mod peer;
pub(crate) mod runtime_api;
mod scratch;
mod tail;
mod worker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use fnkit::manifest::FunctionSpec;
use tokio::sync::Semaphore;

use crate::config::{Config, Reuse};
use crate::ledger::{Exchange, Ledger};
use crate::observe::logs::Logs;
use crate::observe::metrics::Metrics;
use crate::report::{self, Record};
pub(crate) use concurrency::unreserved_pool;
use concurrency::Slot;
use environment::{Environment, FunctionConfig, RunOutcome};
pub(crate) use environment::{Extras, Launch};
pub(crate) use function::Function;
pub(crate) use ids::new_request_id;
use ids::{now_ms, random};
pub use invoked::{InvokeError, Invoked, Mode};
use runtime_api::MAX_RESPONSE_BYTES;
pub(crate) use scratch::sweep_tmp;

/// The engine: the served functions, their limits and what every invocation is recorded in.
pub(crate) struct Engine {
    pub functions: HashMap<String, Arc<Function>>,
    pub config: Config,
    pub ledger: Ledger,
    pub logs: Logs,
    pub metrics: Metrics,
    /// Whether calls may run now, and the build generation environments must be of.
    pub builds: gate::Builds,
    /// When the schedules' clock started (their rates count from it); unset while it is off.
    pub clock_started: std::sync::OnceLock<chrono::DateTime<chrono::Utc>>,
    next_env: AtomicU64,
    /// The emulator's own address once it listens, given to workers as `AWS_ENDPOINT_URL`.
    endpoint: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("functions", &self.functions.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// The engine of `functions` (a program started as `launches` says, or else the binary
    /// itself), each serving its build's number in `versions`; those without reserved
    /// concurrency share `unreserved` slots (see [`unreserved_pool`]).
    pub fn new(
        functions: Vec<(FunctionSpec, std::path::PathBuf)>,
        mut launches: HashMap<String, Launch>,
        unreserved: u32,
        versions: &HashMap<String, u32>,
        config: Config,
        ledger: Ledger,
        logs: Logs,
    ) -> Engine {
        // Functions find the local buckets (folders) here; on AWS they would use S3.
        let buckets = config.buckets_root();
        let buckets = std::path::absolute(&buckets).unwrap_or(buckets);
        let base = [(
            "FNKIT_BUCKETS_DIR".to_owned(),
            buckets.to_string_lossy().into_owned(),
        )];
        let shared = Arc::new(Semaphore::new(unreserved as usize));
        let tmp_root = config.tmp_root();
        let tmp_root = std::path::absolute(&tmp_root).unwrap_or(tmp_root);
        let functions: HashMap<String, Arc<Function>> = functions
            .into_iter()
            .map(|(spec, binary)| {
                let (limit, slots) = match spec.concurrency {
                    Some(reserved) => (reserved, Arc::new(Semaphore::new(reserved as usize))),
                    None => (unreserved, shared.clone()),
                };
                let function_config = Arc::new(FunctionConfig {
                    name: spec.name.to_string(),
                    memory_mb: spec.memory_mb,
                    timeout: Duration::from_secs(u64::from(spec.timeout_secs)),
                    init_timeout: config.init_timeout,
                    binary,
                    region: config.region.clone(),
                    // The attribute's variables, then the command line's, which win.
                    env: base
                        .iter()
                        .cloned()
                        .chain(
                            spec.env
                                .iter()
                                .map(|v| (v.name.to_string(), v.value.to_string())),
                        )
                        .chain(config.env.iter().cloned())
                        .collect(),
                    tmp_root: tmp_root.clone(),
                    ephemeral_mb: spec.ephemeral_mb,
                    launch: launches.remove(spec.name.as_ref()).unwrap_or_default(),
                });
                let version = versions.get(spec.name.as_ref()).copied().unwrap_or(1);
                let f = Function {
                    spec,
                    config: function_config,
                    limit,
                    idle: Mutex::new(Vec::new()),
                    version: version.into(),
                    slots,
                    running: Arc::default(),
                };
                (f.spec.name.to_string(), Arc::new(f))
            })
            .collect();
        Engine {
            functions,
            config,
            ledger,
            logs,
            metrics: Metrics::default(),
            builds: gate::Builds::default(),
            clock_started: std::sync::OnceLock::new(),
            next_env: AtomicU64::new(1),
            endpoint: std::sync::OnceLock::new(),
        }
    }

    /// Records where the emulator listens; workers started after this reach its AWS APIs there
    /// (a wildcard address is reached through loopback).
    pub fn set_endpoint(&self, address: std::net::SocketAddr) {
        let host = if address.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            address.ip()
        };
        let _ = self.endpoint.set(format!(
            "http://{}",
            std::net::SocketAddr::new(host, address.port())
        ));
    }

    /// Invocations running now, across all functions.
    pub fn in_flight(&self) -> usize {
        self.functions.values().map(|f| f.in_flight()).sum()
    }

    /// Invokes `name` with `payload`; `trigger` names what fired it, for the ledger.
    pub async fn invoke(
        &self,
        name: &str,
        payload: Bytes,
        mode: Mode,
        trigger: &str,
    ) -> Result<Invoked, InvokeError> {
        self.invoke_with(name, payload, mode, trigger, Extras::default())
            .await
    }

    /// [`Engine::invoke`] with what a call may bring besides its payload: its own request id, a
    /// qualifier, a client context, the log's tail, a maximum age ([`Extras`]).
    pub async fn invoke_with(
        &self,
        name: &str,
        payload: Bytes,
        mode: Mode,
        trigger: &str,
        mut extras: Extras,
    ) -> Result<Invoked, InvokeError> {
        // A call that arrives while a saved change is rebuilt waits for the new build.
        self.builds.ready().await;
        let function = self
            .functions
            .get(name)
            .ok_or_else(|| InvokeError::NotFound(name.to_owned()))?
            .clone();
        if payload.len() > MAX_RESPONSE_BYTES {
            return Err(InvokeError::TooLarge {
                limit: MAX_RESPONSE_BYTES,
            });
        }
        let request_id = extras.request_id.take().unwrap_or_else(new_request_id);
        let slot = match (mode, extras.not_after) {
            (Mode::Sync, _) => function.slots.clone().try_acquire_owned().ok(),
            (Mode::Async, None) => function.slots.clone().acquire_owned().await.ok(),
            // An event may wait for a slot only until it reaches its maximum age.
            (Mode::Async, Some(deadline)) => {
                let slot = function.slots.clone().acquire_owned();
                match tokio::time::timeout_at(deadline.into(), slot).await {
                    Ok(slot) => slot.ok(),
                    Err(_) => return Err(InvokeError::EventAgeExceeded),
                }
            }
        };
        let Some(slot) = slot.map(|permit| Slot::new(permit, &function)) else {
            self.record_throttle(&function, &request_id, trigger).await;
            return Err(InvokeError::Throttled {
                reason: function.throttle_reason(),
                request_id,
            });
        };
        let invoked = self
            .run(&function, request_id, payload, trigger, extras)
            .await;
        drop(slot);
        Ok(invoked)
    }

    /// [`Engine::invoke_with`] as a task of its own: a caller that goes away (a client that
    /// hung up) does not cancel the call, which runs to its end and is logged, billed and
    /// recorded, as Lambda runs and bills an invocation whose client disconnected.
    pub async fn invoke_detached(
        self: &Arc<Self>,
        name: &str,
        payload: Bytes,
        mode: Mode,
        trigger: &str,
        extras: Extras,
    ) -> Result<Invoked, InvokeError> {
        let (engine, name, trigger) = (self.clone(), name.to_owned(), trigger.to_owned());
        let call = async move {
            engine
                .invoke_with(&name, payload, mode, &trigger, extras)
                .await
        };
        match tokio::spawn(call).await {
            Ok(invoked) => invoked,
            // The call panicked: the emulator's own bug, answered as a service error.
            Err(e) => Err(InvokeError::Internal(e.to_string())),
        }
    }

    /// A warm environment, or a new one, as the reuse policy says.
    async fn acquire(&self, f: &Function) -> std::io::Result<Environment> {
        let fresh = match self.config.reuse {
            Reuse::Always => false,
            Reuse::Never => true,
            Reuse::Random(p) => random() < p,
        };
        let generation = self.builds.generation();
        {
            let mut idle = f.idle.lock().unwrap();
            idle.retain(|e| !e.is_dead() && e.generation == generation);
            if fresh {
                // Retire a warm one, so the pool does not grow with every fresh start.
                idle.pop();
            } else if let Some(env) = idle.pop() {
                return Ok(env);
            }
        }
        let id = self.next_env.fetch_add(1, Ordering::Relaxed);
        // A cold start's first line, as Lambda logs it (tab-separated).
        self.logs.platform(
            &f.config.name,
            None,
            &format!(
                "INIT_START Runtime Version: provided:al2023\tRuntime Version ARN: arn:aws:lambda:{}::runtime:fnkit-local",
                f.config.region
            ),
        );
        let mut env = Environment::spawn(
            id,
            f.config.clone(),
            self.logs.clone(),
            self.endpoint.get().map(String::as_str),
        )
        .await?;
        env.generation = generation;
        Ok(env)
    }

    async fn run(
        &self,
        f: &Function,
        request_id: String,
        payload: Bytes,
        trigger: &str,
        extras: Extras,
    ) -> Invoked {
        let start_ms = now_ms();
        let name = &f.config.name;
        let executed_version = extras.version;
        let (start_line, trace_id) = start_of(&request_id, start_ms, &executed_version);
        let start_for_tail = start_line.clone();
        // Kept for the ledger (a reference, not a copy), with the log.
        let request = (self.config.record_max_bytes > 0).then(|| payload.clone());
        let mut extras = extras;
        extras.keep_log = request.is_some();
        let asked_for_tail = extras.log_tail;
        let (run, unlogged_start, worker_tail) = self
            .run_in_environment(f, &request_id, payload, trace_id, start_line, extras)
            .await;
        let mut lines: Vec<String> = unlogged_start.into_iter().collect();
        // A timed-out call lasted exactly its timeout, as Lambda reports and bills it.
        let duration = match run.outcome {
            RunOutcome::TimedOut => f.config.timeout,
            _ => run.duration,
        };
        let judged = judge::judge(
            &request_id,
            f.config.memory_mb,
            f.config.timeout,
            run.outcome,
        );
        if let Some(line) = judged.platform_line {
            self.logs.platform(name, Some(&request_id), &line);
        }
        lines.extend(judged.log_line);
        let (outcome, body, error_type) = (judged.outcome, judged.body, judged.error_type);
        let billed_ms = report::billed_ms(duration, run.init);
        let (gb_seconds, cost_x86, cost_arm) =
            report::cost(billed_ms, f.config.memory_mb, &self.config.prices);
        let record = Record {
            request_id: request_id.clone(),
            function: name.clone(),
            trigger: trigger.to_owned(),
            start_ms,
            duration_ms: duration.as_secs_f64() * 1000.0,
            billed_ms,
            init_ms: run.init.map(|d| d.as_secs_f64() * 1000.0),
            memory_mb: f.config.memory_mb,
            max_memory_mb: run.max_memory_mb,
            outcome,
            error_type: error_type.clone(),
            gb_seconds,
            cost_x86,
            cost_arm,
        };
        lines.push(format!("END RequestId: {request_id}"));
        lines.push(report::report_line(&record));
        self.logs.platform_lines(name, Some(&request_id), &lines);
        let log = worker_tail.map(|worker| tail::of_call(&start_for_tail, &worker, &lines));
        let cap = self.config.record_max_bytes;
        let log_tail = log.clone().filter(|_| asked_for_tail);
        let exchange = request.map(|r| Exchange::new(r, body.clone(), log, cap));
        self.account(record.clone(), run.init.is_some(), exchange)
            .await;
        Invoked {
            request_id,
            outcome,
            body,
            error_type,
            record,
            log_tail,
            executed_version,
        }
    }

    /// Runs the invocation in a warm or new environment, then keeps the environment warm or
    /// stops it; returns the run and the START line if the environment did not log it.
    async fn run_in_environment(
        &self,
        f: &Function,
        request_id: &str,
        payload: Bytes,
        trace_id: String,
        start_line: String,
        extras: Extras,
    ) -> (environment::Run, Option<String>, Option<String>) {
        let tail = extras.keeps_output().then(String::new);
        let settle = extras.log_tail;
        let mut env = match self.acquire(f).await {
            Ok(env) => env,
            Err(e) => {
                let run = environment::Run {
                    outcome: RunOutcome::Exited(format!(
                        "cannot start {}: {e}",
                        f.config.binary.display()
                    )),
                    duration: Duration::ZERO,
                    init: None,
                    max_memory_mb: 0,
                };
                return (run, Some(start_line), tail);
            }
        };
        let run = env
            .invoke(request_id, payload, trace_id, start_line, extras)
            .await;
        let healthy = matches!(run.outcome, RunOutcome::Answered(_)) && !env.is_dead();
        let used_up = self.config.max_uses.is_some_and(|max| env.uses >= max);
        let current = env.generation == self.builds.generation();
        let keep = healthy && !used_up && current && self.config.reuse != Reuse::Never;
        if settle {
            // The caller's tail must hold what the worker printed before it answered.
            env.settle_output().await;
        }
        let (start, worker_tail) = env.finish();
        if keep {
            f.idle.lock().unwrap().push(env);
        } else {
            env.kill();
        }
        (run, start, worker_tail.or(tail))
    }

    /// Stops environments idle longer than the idle timeout.
    pub fn reap_idle(&self) {
        let timeout = self.config.idle_timeout;
        for f in self.functions.values() {
            f.idle
                .lock()
                .unwrap()
                .retain(|e| !e.is_dead() && e.last_used.elapsed() < timeout);
        }
    }

    /// Stops every warm environment.
    pub fn stop_all(&self) {
        for f in self.functions.values() {
            f.idle.lock().unwrap().clear();
        }
    }
}

impl Engine {
    /// Where every invocation ends up, run or throttled: the counters, the ledger (with what it
    /// was given and gave back, when recorded) and the live feed.
    async fn account(&self, record: Record, cold: bool, exchange: Option<Exchange>) {
        self.metrics.observe(&record, cold);
        self.logs.live().publish("invocation", &record);
        self.ledger.record_with(record, exchange).await;
    }
}

/// A call's START line and its X-Ray trace id.
fn start_of(
    request_id: &str,
    start_ms: i64,
    version: &crate::versions::Resolved,
) -> (String, String) {
    let start_line = format!(
        "START RequestId: {request_id} Version: {}",
        version.executed()
    );
    let trace_id = format!(
        "Root=1-{:08x}-{}",
        start_ms / 1000,
        &request_id.replace('-', "")[..24]
    );
    (start_line, trace_id)
}

//! The heart of the emulator: the functions it serves, their pools of warm execution
//! environments, the concurrency limits, and the life of one invocation from the limit check to
//! the REPORT line and the ledger row.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use fnkit::manifest::FunctionSpec;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{Config, Reuse};
use crate::environment::{Environment, FunctionConfig, RunOutcome};
use crate::ledger::Ledger;
use crate::logs::Logs;
use crate::metrics::Metrics;
use crate::report::{self, Outcome, Record};
use crate::runtime_api::{Answer, MAX_RESPONSE_BYTES};

/// A function the emulator serves: its spec, binary, warm environments and limit.
pub(crate) struct Function {
    pub spec: FunctionSpec,
    pub config: Arc<FunctionConfig>,
    pub limit: u32,
    idle: Mutex<Vec<Environment>>,
    permits: Arc<Semaphore>,
}

impl Function {
    /// Warm environments waiting for work.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().unwrap().len()
    }

    /// Invocations running now.
    pub fn in_flight(&self) -> usize {
        self.limit as usize - self.permits.available_permits()
    }
}

/// Why an invocation was not run.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// No function of that name.
    #[error("Function not found: {0}")]
    NotFound(String),
    /// Over a concurrency limit.
    #[error("Rate Exceeded. {reason}")]
    Throttled {
        /// `ReservedFunctionConcurrentInvocationLimitExceeded` or `ConcurrentInvocationLimitExceeded`.
        reason: &'static str,
        /// The request id the throttle was recorded under.
        request_id: String,
    },
    /// The request is larger than Lambda accepts.
    #[error("Request must be smaller than {limit} bytes for the invoke operation")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Whether the caller waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The caller waits for the answer; over a limit it is throttled.
    Sync,
    /// Nobody waits; over a limit the invocation waits for a free slot.
    Async,
}

/// The end of an invocation, as callers see it.
#[derive(Debug, Clone)]
pub struct Invoked {
    /// The request id.
    pub request_id: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The response, or the error body (`{"errorType", "errorMessage"}`).
    pub body: Bytes,
    /// The error type, when it failed.
    pub error_type: Option<String>,
    /// The ledger record.
    pub record: Record,
}

/// The shared state of a running emulator.
pub(crate) struct Core {
    pub functions: HashMap<String, Arc<Function>>,
    pub config: Config,
    pub ledger: Ledger,
    pub logs: Logs,
    pub metrics: Metrics,
    pub routes: fnkit::route::RouteTable,
    pub store: Arc<crate::store::Store>,
    wakers: HashMap<(crate::store::Kind, String), Arc<tokio::sync::Notify>>,
    global: Arc<Semaphore>,
    next_env: AtomicU64,
    rng: Mutex<u64>,
}

impl Core {
    pub fn new(
        functions: Vec<(FunctionSpec, std::path::PathBuf)>,
        config: Config,
        ledger: Ledger,
        store: Arc<crate::store::Store>,
        logs: Logs,
        routes: fnkit::route::RouteTable,
    ) -> Core {
        // Functions find the local buckets (folders) here; on AWS they would use S3.
        let buckets = config.buckets_root();
        let buckets = std::path::absolute(&buckets).unwrap_or(buckets);
        let mut env = vec![(
            "FNKIT_BUCKETS_DIR".to_owned(),
            buckets.to_string_lossy().into_owned(),
        )];
        env.extend(config.env.iter().cloned());
        let functions: HashMap<String, Arc<Function>> = functions
            .into_iter()
            .map(|(spec, binary)| {
                let limit = spec
                    .concurrency
                    .unwrap_or(config.default_concurrency)
                    .max(1);
                let function_config = Arc::new(FunctionConfig {
                    name: spec.name.to_string(),
                    memory_mb: spec.memory_mb,
                    timeout: Duration::from_secs(u64::from(spec.timeout_secs)),
                    init_timeout: config.init_timeout,
                    binary,
                    region: config.region.clone(),
                    env: env.clone(),
                });
                let f = Function {
                    spec,
                    config: function_config,
                    limit,
                    idle: Mutex::new(Vec::new()),
                    permits: Arc::new(Semaphore::new(limit as usize)),
                };
                (f.spec.name.to_string(), Arc::new(f))
            })
            .collect();
        let mut wakers = HashMap::new();
        for (name, f) in &functions {
            wakers.insert((crate::store::Kind::Async, name.clone()), Arc::default());
            if let fnkit::manifest::Trigger::Queue { name: queue, .. } = &f.spec.trigger {
                wakers.insert(
                    (crate::store::Kind::Queue, queue.to_string()),
                    Arc::default(),
                );
            }
        }
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64
            | 1;
        Core {
            functions,
            global: Arc::new(Semaphore::new(config.max_concurrency.max(1) as usize)),
            config,
            ledger,
            logs,
            metrics: Metrics::default(),
            routes,
            store,
            wakers,
            next_env: AtomicU64::new(1),
            rng: Mutex::new(seed),
        }
    }

    /// Invocations running now, across all functions.
    pub fn in_flight(&self) -> usize {
        self.config.max_concurrency.max(1) as usize - self.global.available_permits()
    }

    fn random(&self) -> f64 {
        let mut s = self.rng.lock().unwrap();
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The waker of a queue's or a function's delivery loop.
    pub fn waker(&self, kind: crate::store::Kind, target: &str) -> Arc<tokio::sync::Notify> {
        self.wakers
            .get(&(kind, target.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// Tells a delivery loop that work is ready.
    pub fn wake(&self, kind: crate::store::Kind, target: &str) {
        if let Some(w) = self.wakers.get(&(kind, target.to_owned())) {
            w.notify_one();
        }
    }

    /// Invokes `name` with `payload`; `trigger` names what fired it, for the ledger.
    pub async fn invoke(
        &self,
        name: &str,
        payload: Bytes,
        mode: Mode,
        trigger: &str,
    ) -> Result<Invoked, InvokeError> {
        self.invoke_as(name, payload, mode, trigger, None).await
    }

    /// [`Core::invoke`] under a given request id (an asynchronous invocation keeps its id across
    /// retries, as on Lambda).
    pub async fn invoke_as(
        &self,
        name: &str,
        payload: Bytes,
        mode: Mode,
        trigger: &str,
        request_id: Option<String>,
    ) -> Result<Invoked, InvokeError> {
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
        let request_id = request_id.unwrap_or_else(fnkit_request_id);
        let permits = match mode {
            Mode::Sync => self.try_permits(&function),
            Mode::Async => Ok(self.wait_permits(&function).await),
        };
        let permits = match permits {
            Ok(p) => p,
            Err(reason) => {
                self.record_throttle(&function, &request_id, trigger);
                return Err(InvokeError::Throttled { reason, request_id });
            }
        };
        let invoked = self.run(&function, request_id, payload, trigger).await;
        drop(permits);
        Ok(invoked)
    }

    fn try_permits(
        &self,
        f: &Function,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), &'static str> {
        let own = f
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| "ReservedFunctionConcurrentInvocationLimitExceeded")?;
        let global = self
            .global
            .clone()
            .try_acquire_owned()
            .map_err(|_| "ConcurrentInvocationLimitExceeded")?;
        Ok((own, global))
    }

    async fn wait_permits(&self, f: &Function) -> (OwnedSemaphorePermit, OwnedSemaphorePermit) {
        let own = f
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphores are never closed");
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphores are never closed");
        (own, global)
    }

    fn record_throttle(&self, f: &Function, request_id: &str, trigger: &str) {
        let record = Record {
            request_id: request_id.to_owned(),
            function: f.config.name.clone(),
            trigger: trigger.to_owned(),
            start_ms: now_ms(),
            duration_ms: 0.0,
            billed_ms: 0,
            init_ms: None,
            memory_mb: f.config.memory_mb,
            max_memory_mb: 0,
            outcome: Outcome::Throttled,
            error_type: Some("TooManyRequestsException".to_owned()),
            gb_seconds: 0.0,
            cost_x86: 0.0,
            cost_arm: 0.0,
        };
        self.metrics.observe(&record, false);
        self.ledger.record(record);
    }

    /// A warm environment, or a new one, as the reuse policy says.
    async fn acquire(&self, f: &Function) -> std::io::Result<Environment> {
        let fresh = match self.config.reuse {
            Reuse::Always => false,
            Reuse::Never => true,
            Reuse::Random(p) => self.random() < p,
        };
        {
            let mut idle = f.idle.lock().unwrap();
            idle.retain(|e| !e.is_dead());
            if fresh {
                // Retire a warm one, so the pool does not grow with every fresh start.
                idle.pop();
            } else if let Some(env) = idle.pop() {
                return Ok(env);
            }
        }
        let id = self.next_env.fetch_add(1, Ordering::Relaxed);
        Environment::spawn(id, f.config.clone(), self.logs.clone()).await
    }

    async fn run(
        &self,
        f: &Function,
        request_id: String,
        payload: Bytes,
        trigger: &str,
    ) -> Invoked {
        let start_ms = now_ms();
        let name = &f.config.name;
        let start_line = format!("START RequestId: {request_id} Version: $LATEST");
        let trace_id = format!(
            "Root=1-{:08x}-{}",
            start_ms / 1000,
            &request_id.replace('-', "")[..24]
        );
        let (run, unlogged_start) = match self.acquire(f).await {
            Ok(mut env) => {
                let run = env.invoke(&request_id, payload, trace_id, start_line).await;
                let healthy = matches!(run.outcome, RunOutcome::Answered(_)) && !env.is_dead();
                let used_up = self.config.max_uses.is_some_and(|max| env.uses >= max);
                let keep = healthy && !used_up && self.config.reuse != Reuse::Never;
                let start = env.finish();
                if keep {
                    f.idle.lock().unwrap().push(env);
                } else {
                    env.kill();
                }
                (run, start)
            }
            Err(e) => {
                let run = crate::environment::Run {
                    outcome: RunOutcome::Exited(format!(
                        "cannot start {}: {e}",
                        f.config.binary.display()
                    )),
                    duration: Duration::ZERO,
                    init: None,
                    max_memory_mb: 0,
                };
                (run, Some(start_line))
            }
        };
        let mut lines: Vec<String> = unlogged_start.into_iter().collect();
        let (outcome, body, error_type) =
            self.judge(&request_id, f, run.outcome, run.duration, &mut lines);
        let billed_ms = report::billed_ms(run.duration, run.init);
        let (gb_seconds, cost_x86, cost_arm) =
            report::cost(billed_ms, f.config.memory_mb, &self.config.prices);
        let record = Record {
            request_id: request_id.clone(),
            function: name.clone(),
            trigger: trigger.to_owned(),
            start_ms,
            duration_ms: run.duration.as_secs_f64() * 1000.0,
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
        self.logs.platform_lines(name, &lines);
        self.metrics.observe(&record, run.init.is_some());
        self.ledger.record(record.clone());
        Invoked {
            request_id,
            outcome,
            body,
            error_type,
            record,
        }
    }

    /// Turns what happened into Lambda's outcome and error body.
    fn judge(
        &self,
        request_id: &str,
        f: &Function,
        outcome: RunOutcome,
        duration: Duration,
        lines: &mut Vec<String>,
    ) -> (Outcome, Bytes, Option<String>) {
        let error = |t: &str, message: String| {
            let body = serde_json::json!({"errorType": t, "errorMessage": message});
            Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
        };
        match outcome {
            RunOutcome::Answered(Answer::Response(body)) => (Outcome::Ok, body, None),
            RunOutcome::Answered(Answer::Error { error_type, body }) => {
                (Outcome::Error, body, Some(error_type))
            }
            RunOutcome::Answered(Answer::TooLarge) => {
                let t = "Function.ResponseSizeTooLarge";
                let m = format!("Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).");
                (Outcome::Error, error(t, m), Some(t.to_owned()))
            }
            RunOutcome::TimedOut => {
                let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let m = format!(
                    "{now} {request_id} Task timed out after {:.2} seconds",
                    duration.as_secs_f64()
                );
                lines.push(m.clone());
                let t = "Sandbox.Timedout";
                (Outcome::Timeout, error(t, m), Some(t.to_owned()))
            }
            RunOutcome::OutOfMemory => {
                let m = format!("RequestId: {request_id} Error: Runtime exited with error: signal: killed (above its memory size of {} MB)", f.config.memory_mb);
                lines.push(m.clone());
                let t = "Runtime.OutOfMemory";
                (Outcome::Oom, error(t, m), Some(t.to_owned()))
            }
            RunOutcome::Exited(status) => {
                let m =
                    format!("RequestId: {request_id} Error: Runtime exited with error: {status}");
                lines.push(m.clone());
                let t = "Runtime.ExitError";
                (Outcome::Crash, error(t, m), Some(t.to_owned()))
            }
            RunOutcome::InitFailed(e) => {
                let m = format!("RequestId: {request_id} Error: {}", e.message);
                self.logs
                    .platform(&f.config.name, &format!("{m} ({})", e.error_type));
                (Outcome::Crash, error(&e.error_type, m), Some(e.error_type))
            }
        }
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

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}

/// A request id shaped like Lambda's: a random UUID v4.
pub(crate) fn fnkit_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let mut x = t ^ n.rotate_left(32) ^ u64::from(std::process::id()).rotate_left(48);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (a, b) = (next(), next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        a as u16 & 0xfff,
        8 + (b >> 62),
        (b >> 48) as u16 & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

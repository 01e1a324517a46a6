//! Durable handlers in a unit test: [`DurableTest`] runs one in this process, against the same
//! engine as fnkit-local's durable execution service (`fnkit_spec::durable::engine`), kept in
//! memory. Time is skipped: when the execution waits (a wait, a step's next attempt, a callback's
//! timeout) the clock jumps to when that falls due, and the history records the modelled times.
//! Callbacks and invokes of other functions get the results the test queued; checkpoints can be
//! made to fail; the history reads line by line.
//!
//! ```
//! use std::time::Duration;
//! use fnkit::durable::{CallbackConfig, DurableContext};
//! use fnkit::testing::durable::DurableTest;
//! use fnkit::Error;
//!
//! async fn approve(amount: u32, ctx: DurableContext) -> Result<String, Error> {
//!     ctx.wait("cool-off", Duration::from_secs(86_400)).await?;
//!     let approved: bool = ctx
//!         .wait_for_callback("approval", CallbackConfig::default(), |_id| async { Ok(()) })
//!         .await?;
//!     let verdict = if approved { "paid" } else { "refused" };
//!     Ok(ctx.step("settle", |_| async move { Ok(format!("{verdict} {amount}")) }).await?)
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let run = DurableTest::new()
//!     .timeout(Duration::from_secs(7 * 86_400))
//!     .callback_succeeds("approval", true)
//!     .run(120, approve)
//!     .await;
//! assert_eq!(run.result::<String>().unwrap(), "paid 120");
//! assert!(run.elapsed >= Duration::from_secs(86_400), "a day, skipped");
//! assert_eq!(run.count("StepStarted", "settle"), 1);
//! println!("{run}"); // the history, a line per event
//! # });
//! ```

mod execution;
mod service;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fnkit_spec::durable::engine::invocations::Ended;
use fnkit_spec::durable::wire::{ErrorObject, ExecutionStatus};
use fnkit_spec::durable::DurableConfig;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::durable::plugin::Plugins;
use crate::durable::{Client, DurableContext, DurableReturn};
use service::{Next, Service};

/// The most invocations one run makes before it stops (a handler that never ends).
const MAX_INVOCATIONS: u32 = 10_000;

/// How a queued callback or invoke ends.
type Answer = Result<String, ErrorObject>;

/// An in-process run of a durable handler: what the outside will answer, and how the service
/// misbehaves. Build it, then [`run`](DurableTest::run) it.
#[derive(Debug, Clone, Default)]
pub struct DurableTest {
    callbacks: HashMap<String, VecDeque<Answer>>,
    invokes: HashMap<String, VecDeque<Answer>>,
    failing: BTreeSet<u32>,
    config: DurableConfig,
    plugins: Plugins,
}

/// How a run ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Execution {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`; `RUNNING` when it waits on something nothing will
    /// end (see `waiting_on`).
    pub status: ExecutionStatus,
    /// The result (JSON), when it succeeded.
    pub result: Option<String>,
    /// The error, when it failed or timed out.
    pub error: Option<ErrorObject>,
    /// What it still waits on, when it is `RUNNING`.
    pub waiting_on: Option<String>,
    /// How many times the handler was invoked.
    pub invocations: u32,
    /// The time the execution took on the skipped clock.
    pub elapsed: Duration,
    /// The history's events, as `GetDurableExecutionHistory` gives them.
    pub events: Vec<Value>,
}

impl DurableTest {
    /// A run with the default settings (`durable(timeout = "1d")`), nothing queued.
    pub fn new() -> DurableTest {
        DurableTest::default()
    }

    /// The callback named `name` (its operation's name; for `wait_for_callback`, the name given
    /// to it) succeeds with `result`, once per call, in order.
    pub fn callback_succeeds(mut self, name: &str, result: impl Serialize) -> DurableTest {
        queue(&mut self.callbacks, name, succeeds(result));
        self
    }

    /// The callback named `name` fails with an error of `error_type`.
    pub fn callback_fails(mut self, name: &str, error_type: &str, message: &str) -> DurableTest {
        let error = ErrorObject::new(error_type, message);
        queue(&mut self.callbacks, name, Err(error));
        self
    }

    /// An invoke of `function` (its name, without qualifier) returns `result`, once per call.
    pub fn invoke_returns(mut self, function: &str, result: impl Serialize) -> DurableTest {
        queue(&mut self.invokes, function, succeeds(result));
        self
    }

    /// An invoke of `function` fails with an error of `error_type`.
    pub fn invoke_fails(mut self, function: &str, error_type: &str, message: &str) -> DurableTest {
        let error = ErrorObject::new(error_type, message);
        queue(&mut self.invokes, function, Err(error));
        self
    }

    /// The `n`-th checkpoint of the run (from 1, across invocations) fails as an unreachable
    /// service does: the invocation fails, and the service invokes the handler again.
    pub fn fail_checkpoint(mut self, n: u32) -> DurableTest {
        self.failing.insert(n);
        self
    }

    /// The execution's timeout (`durable(timeout = ...)`; whole seconds).
    pub fn timeout(mut self, timeout: Duration) -> DurableTest {
        self.config.execution_timeout_secs = u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX);
        self
    }

    /// The handler's plugins.
    pub fn plugins(mut self, plugins: Plugins) -> DurableTest {
        self.plugins = plugins;
        self
    }

    /// Runs `handler` on `input` until the execution ends, or waits on something nothing queued
    /// will end: invoking it as the service would, each invocation replaying the last. A
    /// `#[function(durable)]` fn that takes `(input, DurableContext)` is a handler as it is; one
    /// that takes them in another order, or a `Context` too, goes in a closure:
    /// `|input, ctx| order(ctx, input, fnkit::testing::context().build())`.
    pub async fn run<I, T, F, Fut>(&self, input: I, handler: F) -> Execution
    where
        I: Serialize,
        T: DeserializeOwned,
        F: Fn(T, DurableContext) -> Fut,
        Fut: Future,
        Fut::Output: DurableReturn,
    {
        let start = now_ms();
        let text = serde_json::to_string(&input).unwrap_or_else(|_| "null".into());
        let service = Arc::new(Service::new(self, text, start));
        let mut invocations = 0;
        let waiting_on = loop {
            let claimed = service.lock().next(invocations);
            match claimed {
                Next::Invoke(envelope, request_id) => {
                    if invocations == MAX_INVOCATIONS {
                        break Some(format!("more than {MAX_INVOCATIONS} invocations"));
                    }
                    invocations += 1;
                    let ended = self.invoke(&service, envelope, &handler).await;
                    service.lock().finish(&request_id, ended);
                }
                Next::Done => break None,
                Next::Stuck(what) => break Some(what),
            }
        };
        let state = service.lock();
        let exec = &state.l.exec;
        Execution {
            status: exec.status,
            result: exec.result.clone(),
            error: exec.error.clone(),
            waiting_on,
            invocations,
            elapsed: Duration::from_millis((state.now - start).max(0) as u64),
            events: state.history.clone(),
        }
    }

    /// One invocation of `handler` with `envelope`, through the in-process service.
    async fn invoke<T, F, Fut>(&self, service: &Arc<Service>, envelope: Value, handler: &F) -> Ended
    where
        T: DeserializeOwned,
        F: Fn(T, DurableContext) -> Fut,
        Fut: Future,
        Fut::Output: DurableReturn,
    {
        let client = Client::InProcess(service.clone());
        let handler = |input: T, ctx| async move { handler(input, ctx).await.into_durable() };
        match crate::durable::execute_in(envelope, client, &self.plugins, handler).await {
            Ok(answer) => Ended::Answered(serde_json::to_vec(&answer).unwrap_or_default()),
            Err(e) => Ended::Failed(crate::durable::error_object(&e)),
        }
    }
}

/// A queued answer that succeeds with `result` (as JSON; one that cannot be written fails).
fn succeeds(result: impl Serialize) -> Answer {
    serde_json::to_string(&result).map_err(|e| ErrorObject::new("Json", e.to_string()))
}

/// Queues `answer` for the callback or function `name`, after those already queued.
fn queue(answers: &mut HashMap<String, VecDeque<Answer>>, name: &str, answer: Answer) {
    answers
        .entry(name.to_owned())
        .or_default()
        .push_back(answer);
}

pub(super) fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

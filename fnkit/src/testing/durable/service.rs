//! The in-process service a [`DurableTest`](super::DurableTest) runs against: one execution in
//! memory, driven by the engine (`fnkit_spec::durable::engine`) on a skipped clock, answering the
//! handler's checkpoints and delivering what the test queued.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use fnkit_spec::durable::arn::ExecutionArn;
use fnkit_spec::durable::engine::chained::{self, Chained, Targets};
use fnkit_spec::durable::engine::invocations::{self, Ended};
use fnkit_spec::durable::engine::model::{Completion, Exec, Loaded, TargetEnded};
use fnkit_spec::durable::engine::{callbacks, tick, Ticked};
use fnkit_spec::durable::wire::{
    CheckpointRequest, ExecutionStatus, OperationStatus, OperationType,
};
use fnkit_spec::durable::MAX_STATE_PAGE;
use serde_json::Value;

use super::{Answer, DurableTest};
use crate::durable::{DurableError, InProcess};

/// What the run does next.
pub(super) enum Next {
    /// Invoke the handler with this envelope, as this request.
    Invoke(Value, String),
    /// The execution ended.
    Done,
    /// It waits on this, which nothing queued will end.
    Stuck(String),
}

/// The in-process service: one execution in memory, its clock, and what the test queued.
#[derive(Debug)]
pub(super) struct Service(Mutex<State>);

#[derive(Debug)]
pub(super) struct State {
    pub(super) l: Loaded,
    /// The skipped clock, epoch ms: it stands still during an invocation.
    pub(super) now: i64,
    pub(super) history: Vec<Value>,
    targets: Targets,
    callbacks: HashMap<String, VecDeque<Answer>>,
    invokes: HashMap<String, VecDeque<Answer>>,
    /// Chained invokes started and not yet answered: operation id, target.
    started: Vec<(String, Chained)>,
    checkpoints: u32,
    failing: BTreeSet<u32>,
}

impl Service {
    pub(super) fn new(test: &DurableTest, input: String, now: i64) -> Service {
        let id = uuid::Uuid::new_v4().to_string();
        let arn = ExecutionArn {
            region: "us-east-1".into(),
            account: "000000000000".into(),
            function: "test".into(),
            version: "$LATEST".into(),
            name: id.clone(),
            id,
        };
        let mut state = State {
            l: Loaded::new(Exec::new(&arn, input, test.config, now)),
            now,
            history: Vec::new(),
            targets: Targets {
                // Every function invoked is a plain (not durable) target, added as it is.
                functions: HashMap::new(),
                region: arn.region.clone(),
                account: arn.account.clone(),
            },
            callbacks: test.callbacks.clone(),
            invokes: test.invokes.clone(),
            started: Vec::new(),
            checkpoints: 0,
            failing: test.failing.clone(),
        };
        state.collect();
        Service(Mutex::new(state))
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl InProcess for Service {
    fn checkpoint(&self, _arn: &str, request: &CheckpointRequest) -> Result<Value, DurableError> {
        let mut state = self.lock();
        state.checkpoints += 1;
        if state.failing.contains(&state.checkpoints) {
            let n = state.checkpoints;
            return Err(DurableError::Service(format!(
                "checkpoint {n} failed (DurableTest::fail_checkpoint)"
            )));
        }
        // Any function is a target: one the test gave no result for leaves the run waiting.
        for u in &request.updates {
            let function = u.chained_invoke_options.as_ref();
            if let Some(raw) = function.and_then(|o| o.function_name.as_deref()) {
                let (name, _) = fnkit_spec::qualifier::function_target(raw);
                let plain = chained::Target {
                    durable: None,
                    version: 1,
                    any_qualifier: true,
                };
                state.targets.functions.entry(name).or_insert(plain);
            }
        }
        let State {
            l, now, targets, ..
        } = &mut *state;
        let answer = invocations::checkpoint(l, request, *now, targets)
            .map_err(|e| DurableError::Service(format!("InvalidParameterValueException: {e}")));
        state.collect();
        answer
    }

    fn state(&self, _arn: &str, token: &str, marker: &str) -> Result<Value, DurableError> {
        let state = self.lock();
        invocations::state(&state.l, token, Some(marker), MAX_STATE_PAGE)
            .map_err(|e| DurableError::Service(format!("InvalidParameterValueException: {e}")))
    }
}

impl State {
    /// Keeps what the last change appended and started, as a store saves a transaction.
    fn collect(&mut self) {
        let (_, plain) = chained::started_by(&self.l);
        self.started.extend(plain);
        self.history
            .extend(self.l.new_events.drain(..).map(|(_, _, event)| event));
        self.l.changed.clear();
        self.l.spawned.clear();
    }

    /// Judges invocation `request_id`'s end.
    pub(super) fn finish(&mut self, request_id: &str, ended: Ended) {
        invocations::finish(&mut self.l, request_id, ended, self.now);
        self.collect();
    }

    /// Answers what the test queued, fires what is due, and says what to do next: invoke now,
    /// or after skipping the clock to the next thing due.
    pub(super) fn next(&mut self, invocations: u32) -> Next {
        loop {
            self.answer();
            let ticked = tick(&mut self.l, self.now);
            self.collect();
            if ticked == Ticked::TimedOut || self.l.exec.status != ExecutionStatus::Running {
                return Next::Done;
            }
            let request_id = format!("test-invocation-{}", invocations + 1);
            if let Some(envelope) = invocations::claim(&mut self.l, &request_id, self.now) {
                self.collect();
                return Next::Invoke(
                    serde_json::to_value(envelope).unwrap_or_default(),
                    request_id,
                );
            }
            // The clock skips to what falls due next, or to the execution's timeout.
            let timeout = self.l.exec.timeout_at_ms();
            match self.next_due() {
                Some(due) => self.now = due.min(timeout),
                None => match self.unanswered() {
                    Some(what) => return Next::Stuck(what),
                    None => self.now = timeout,
                },
            }
        }
    }

    /// The earliest wait, retry, callback timeout or invocation retry to fall due.
    fn next_due(&self) -> Option<i64> {
        let ops = self.l.ops.values().filter_map(|o| o.due_ms());
        let later = |due: &i64| *due > self.now;
        ops.chain(self.l.exec.retry_at_ms).filter(later).min()
    }

    /// The callback or invoke the execution waits on that nothing queued will end.
    fn unanswered(&self) -> Option<String> {
        let running = |kind| {
            self.l
                .ops
                .values()
                .find(|o| o.op.kind == kind && o.op.status == OperationStatus::Started)
        };
        if let Some(c) = running(OperationType::Callback) {
            let name = c.op.name.as_deref().unwrap_or_default();
            return Some(format!(
                "the callback {name:?}: queue its result with DurableTest::callback_succeeds"
            ));
        }
        running(OperationType::ChainedInvoke).map(|c| {
            let name = c.op.name.as_deref().unwrap_or_default();
            format!("the invoke {name:?}: queue its result with DurableTest::invoke_returns")
        })
    }

    /// Completes the running callbacks and invokes the test queued an answer for.
    fn answer(&mut self) {
        let now = self.now;
        // In the order they were created: answers to callbacks of one name go out in order.
        let running: Vec<(String, String, String)> = self
            .l
            .ordered()
            .into_iter()
            .filter(|o| o.op.kind == OperationType::Callback)
            .filter(|o| o.op.status == OperationStatus::Started)
            .filter_map(|o| {
                let id = o.op.callback_details.as_ref()?.callback_id.clone()?;
                let name = o.op.name.clone().unwrap_or_default();
                Some((o.op.id.clone(), id, name))
            })
            .collect();
        for (op, id, name) in running {
            let Some(answer) = self.callbacks.get_mut(&name).and_then(VecDeque::pop_front) else {
                continue;
            };
            let completion = match answer {
                Ok(result) => Completion::Success(result),
                Err(error) => Completion::Failure(error),
            };
            let _ = callbacks::complete(&mut self.l, &id, &op, completion, now);
        }
        let started = std::mem::take(&mut self.started);
        for (op, target) in started {
            let queue = self.invokes.get_mut(&target.function);
            let Some(answer) = queue.and_then(VecDeque::pop_front) else {
                self.started.push((op, target));
                continue;
            };
            let ended = match answer {
                Ok(result) => TargetEnded {
                    status: ExecutionStatus::Succeeded,
                    result: Some(result),
                    error: None,
                },
                Err(error) => TargetEnded {
                    status: ExecutionStatus::Failed,
                    result: None,
                    error: Some(error),
                },
            };
            chained::complete(&mut self.l, &op, &ended, now);
        }
        self.collect();
    }
}

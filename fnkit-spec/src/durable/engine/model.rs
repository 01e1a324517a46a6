//! One durable execution in memory, as a transaction loads it: its row ([`Exec`]), its
//! operations and the events the transaction appends. Pure functions of the state and the clock;
//! `store.rs` loads and saves, `apply.rs` applies a checkpoint's updates.
//!
//! The rules here (the event order the conformance suite checks):
//! - each invocation ends with one `InvocationCompleted`, before the execution's terminal event;
//! - a wait or a step retry that falls due while an invocation runs is applied at that
//!   invocation's next checkpoint (it reads it in the answer), else right after it ends;
//! - anything that changes while no invocation saw it marks the execution to be invoked again.

use std::collections::BTreeMap;

use crate::durable::arn::ExecutionArn;
use crate::durable::wire::{
    ErrorObject, ExecutionDetails, ExecutionState, ExecutionStatus, Millis, Operation,
    OperationStatus, OperationType,
};
use crate::durable::DurableConfig;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::events::{self, event};
pub use super::outside::{Completion, Deferred, TargetEnded};

/// The most operation JSON one page of state carries: the envelope must stay under the 6 MiB an
/// invocation's payload may be, with room for its other members.
pub const MAX_PAGE_BYTES: usize = 5 * 1024 * 1024;

/// Lambda-level failures (a crash, a timeout, an answer that is not an envelope) after which the
/// execution fails: the invocation is retried this many times in all.
pub const MAX_FAILED_INVOCATIONS: u32 = 5;

/// An execution's row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exec {
    /// The execution's ARN.
    pub arn: String,
    /// The function it is an execution of.
    pub function: String,
    /// `$LATEST` or the version number it runs.
    pub version: String,
    /// Its name (the idempotency key of the Invoke that started it).
    pub name: String,
    /// The ARN's last segment, the EXECUTION operation's id.
    pub id: String,
    /// Where it is.
    pub status: ExecutionStatus,
    /// The caller's payload, JSON text.
    pub input: String,
    /// The result, once it is known (from the invocation's answer, or an EXECUTION update).
    pub result: Option<String>,
    /// The error, once it failed (or timed out, or was stopped).
    pub error: Option<ErrorObject>,
    /// When it started, epoch ms.
    pub start_ms: i64,
    /// When it ended, epoch ms.
    pub end_ms: Option<i64>,
    /// Its execution timeout.
    pub timeout_secs: u32,
    /// How long its history is kept after it ends.
    pub retention_days: u32,
    /// The request id of the invocation in flight.
    pub invocation: Option<String>,
    /// When the invocation in flight (or the last) started, epoch ms.
    pub invocation_start_ms: i64,
    /// The sequence number of the one valid checkpoint token.
    pub token_seq: u64,
    /// Operation changes are numbered; the invocation in flight has seen those up to here.
    pub seen_seq: u64,
    /// The last operation change's number.
    pub op_seq: u64,
    /// The last event's id.
    pub event_seq: u64,
    /// Lambda-level failures in a row.
    pub failed_invocations: u32,
    /// Something changed that no invocation saw: invoke again.
    pub kick: bool,
    /// A failed invocation is retried no earlier than this.
    pub retry_at_ms: Option<i64>,
    /// The last checkpoint's `(ClientToken, CheckpointToken)` and its answer, for a retried call.
    pub last_checkpoint: Option<(String, String, Value)>,
    /// For the execution of a chained invoke: the invoking execution and its operation.
    #[serde(default)]
    pub parent: Option<(String, String)>,
    /// Completions from outside that arrived while an invocation was in flight, in order.
    #[serde(default)]
    pub deferred: Vec<Deferred>,
    /// Waits and step retries fall due as soon as no invocation runs (`--durable-skip-time`).
    #[serde(default)]
    pub skip_time: bool,
}

impl Exec {
    /// A new running execution `arn` of `input`, started at `now_ms`.
    pub fn new(arn: &ExecutionArn, input: String, config: DurableConfig, now_ms: i64) -> Exec {
        Exec {
            arn: arn.to_string(),
            function: arn.function.clone(),
            version: arn.version.clone(),
            name: arn.name.clone(),
            id: arn.id.clone(),
            status: ExecutionStatus::Running,
            input,
            result: None,
            error: None,
            start_ms: now_ms,
            end_ms: None,
            timeout_secs: config.execution_timeout_secs,
            retention_days: config.retention_days,
            invocation: None,
            invocation_start_ms: 0,
            token_seq: 0,
            seen_seq: 0,
            op_seq: 0,
            event_seq: 0,
            failed_invocations: 0,
            kick: true,
            retry_at_ms: None,
            last_checkpoint: None,
            parent: None,
            deferred: Vec::new(),
            skip_time: false,
        }
    }

    /// When the execution runs out of time.
    pub fn timeout_at_ms(&self) -> i64 {
        self.start_ms + i64::from(self.timeout_secs) * 1000
    }

    /// The earliest time the scheduler must look at this execution again (its timeout, or a
    /// failed invocation's retry), while it runs.
    pub fn due_ms(&self) -> Option<i64> {
        (self.status == ExecutionStatus::Running).then(|| {
            self.retry_at_ms
                .map_or(self.timeout_at_ms(), |r| r.min(self.timeout_at_ms()))
        })
    }
}

/// An operation as stored: the wire form and its sequence numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredOp {
    /// The operation, as the API shows it.
    pub op: Operation,
    /// Order of first appearance (state pages are "ordered by start sequence").
    pub start_seq: u64,
    /// The change that last touched it.
    pub touched_seq: u64,
    /// A running callback's clocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackClock>,
    /// A chained invoke's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chained: Option<super::chained::Chained>,
}

/// When a running callback times out: overall, and without a heartbeat.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct CallbackClock {
    /// When it times out overall, epoch ms.
    pub timeout_at_ms: Option<i64>,
    /// The heartbeat timeout (0: none).
    pub heartbeat_secs: u64,
    /// When it times out without a heartbeat, epoch ms.
    pub heartbeat_at_ms: Option<i64>,
}

impl CallbackClock {
    /// The earlier of its two deadlines, and the error type of the one that falls then.
    pub fn due(&self) -> Option<(i64, &'static str)> {
        let overall = self.timeout_at_ms.map(|t| (t, "Callback.Timeout"));
        let heartbeat = self.heartbeat_at_ms.map(|t| (t, "Callback.Heartbeat"));
        match (overall, heartbeat) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

impl StoredOp {
    /// When the scheduler must look at it: a running wait's end, a pending retry's next attempt.
    pub fn due_ms(&self) -> Option<i64> {
        self.due_at(false)
    }

    /// [`StoredOp::due_ms`], with waits and retries due at once when time is skipped.
    pub fn due_at(&self, skip_time: bool) -> Option<i64> {
        let skipped = |due: Option<i64>| {
            if skip_time {
                due.map(|_| i64::MIN)
            } else {
                due
            }
        };
        match (self.op.kind, self.op.status) {
            (OperationType::Wait, OperationStatus::Started) => skipped(
                self.op
                    .wait_details
                    .as_ref()
                    .and_then(|w| w.scheduled_end_timestamp)
                    .map(|m| m.0),
            ),
            (OperationType::Step, OperationStatus::Pending) => skipped(
                self.op
                    .step_details
                    .as_ref()
                    .and_then(|s| s.next_attempt_timestamp)
                    .map(|m| m.0),
            ),
            (OperationType::Callback, OperationStatus::Started) => {
                self.callback.and_then(|c| c.due()).map(|(at, _)| at)
            }
            _ => None,
        }
    }
}

/// An execution loaded for one transaction.
#[derive(Debug)]
pub struct Loaded {
    /// The execution's row.
    pub exec: Exec,
    /// Its operations, by id.
    pub ops: BTreeMap<String, StoredOp>,
    /// Ids of the operations this transaction changed.
    pub changed: Vec<String>,
    /// Events this transaction appends, numbered.
    pub new_events: Vec<(u64, String, Value)>,
    /// Executions this transaction starts (chained invokes of durable functions), saved with it.
    pub spawned: Vec<Exec>,
}

impl Loaded {
    /// A new execution: its EXECUTION operation and `ExecutionStarted`.
    pub fn new(exec: Exec) -> Loaded {
        let mut l = Loaded {
            exec,
            ops: BTreeMap::new(),
            changed: Vec::new(),
            new_events: Vec::new(),
            spawned: Vec::new(),
        };
        let op = Operation {
            id: l.exec.id.clone(),
            parent_id: None,
            name: Some(l.exec.name.clone()),
            kind: OperationType::Execution,
            sub_type: None,
            start_timestamp: Some(Millis(l.exec.start_ms)),
            end_timestamp: None,
            status: OperationStatus::Started,
            execution_details: Some(ExecutionDetails {
                input_payload: Some(l.exec.input.clone()),
            }),
            context_details: None,
            step_details: None,
            wait_details: None,
            callback_details: None,
            chained_invoke_details: None,
        };
        l.put(op);
        let details = json!({"Input": events::payload(&l.exec.input),
            "ExecutionTimeout": l.exec.timeout_secs});
        let started = event("ExecutionStarted", None, details);
        l.append(started, l.exec.start_ms);
        l
    }

    /// Stores `op` (new or changed) under the next change number.
    pub fn put(&mut self, op: Operation) {
        self.exec.op_seq += 1;
        let seq = self.exec.op_seq;
        let id = op.id.clone();
        let (start_seq, callback, chained) = self.ops.get(&id).map_or((seq, None, None), |o| {
            (o.start_seq, o.callback, o.chained.clone())
        });
        self.ops.insert(
            id.clone(),
            StoredOp {
                op,
                start_seq,
                touched_seq: seq,
                callback,
                chained,
            },
        );
        if !self.changed.contains(&id) {
            self.changed.push(id);
        }
    }

    /// Appends `event` at `now_ms` under the next event id.
    pub fn append(&mut self, mut event: Value, now_ms: i64) {
        self.exec.event_seq += 1;
        let id = self.exec.event_seq;
        event["EventId"] = json!(id);
        event["EventTimestamp"] = json!(now_ms);
        let kind = event["EventType"].as_str().unwrap_or_default().to_owned();
        self.new_events.push((id, kind, event));
    }

    /// Completes the waits, step retries and callback timeouts due at `now_ms`; returns whether
    /// any was.
    pub fn apply_due(&mut self, now_ms: i64) -> bool {
        let due: Vec<String> = self
            .ops
            .values()
            .filter(|o| o.due_at(self.exec.skip_time).is_some_and(|d| d <= now_ms))
            .map(|o| o.op.id.clone())
            .collect();
        for id in &due {
            let mut op = self.ops[id].op.clone();
            if op.kind == OperationType::Callback {
                let kind = self.ops[id]
                    .callback
                    .and_then(|c| c.due())
                    .map_or("Callback.Timeout", |d| d.1);
                let what = if kind == "Callback.Timeout" {
                    "its timeout"
                } else {
                    "its heartbeat timeout"
                };
                let error = ErrorObject::new(
                    kind,
                    format!("The callback was not completed within {what}"),
                );
                op.status = OperationStatus::TimedOut;
                op.end_timestamp = Some(Millis(now_ms));
                if let Some(d) = op.callback_details.as_mut() {
                    d.error = Some(error.clone());
                }
                let e = event(
                    "CallbackTimedOut",
                    Some(&op),
                    json!({"Error": events::error(&error)}),
                );
                self.put(op);
                self.append(e, now_ms);
            } else if op.kind == OperationType::Wait {
                op.status = OperationStatus::Succeeded;
                op.end_timestamp = Some(Millis(now_ms));
                let start = op.start_timestamp.map_or(now_ms, |m| m.0);
                let end = op
                    .wait_details
                    .as_ref()
                    .and_then(|w| w.scheduled_end_timestamp)
                    .map_or(now_ms, |m| m.0);
                let duration = ((end - start) as f64 / 1000.0).round() as i64;
                let e = event("WaitSucceeded", Some(&op), json!({"Duration": duration}));
                self.put(op);
                self.append(e, now_ms);
            } else {
                // A retry falls due silently: the next invocation runs the attempt.
                op.status = OperationStatus::Ready;
                self.put(op);
            }
        }
        !due.is_empty()
    }

    /// Whether a step's next attempt is due (READY) and waits for an invocation to run it.
    pub fn has_ready_step(&self) -> bool {
        self.ops
            .values()
            .any(|o| o.op.kind == OperationType::Step && o.op.status == OperationStatus::Ready)
    }

    /// Whether the execution waits on something that will change without the handler: a wait,
    /// a step's next attempt, a callback, a chained invocation.
    pub fn waits_on_something(&self) -> bool {
        self.ops.values().any(|o| {
            matches!(
                (o.op.kind, o.op.status),
                (OperationType::Wait, OperationStatus::Started)
                    | (
                        OperationType::Step,
                        OperationStatus::Pending | OperationStatus::Ready
                    )
                    | (OperationType::Callback, OperationStatus::Started)
                    | (OperationType::ChainedInvoke, OperationStatus::Started)
            )
        })
    }

    /// Ends the execution with `status`; its result or error is the one on the row.
    pub fn close(&mut self, status: ExecutionStatus, now_ms: i64) {
        let exec = &mut self.exec;
        exec.status = status;
        exec.end_ms = Some(now_ms);
        exec.kick = false;
        exec.retry_at_ms = None;
        exec.deferred.clear();
        let error = exec.error.clone().unwrap_or_default();
        let (kind, details, op_status) = match status {
            ExecutionStatus::Succeeded => {
                let result = exec.result.clone().unwrap_or_default();
                let d = json!({"Result": events::payload(&result)});
                ("ExecutionSucceeded", d, OperationStatus::Succeeded)
            }
            ExecutionStatus::Failed => (
                "ExecutionFailed",
                json!({"Error": events::error(&error)}),
                OperationStatus::Failed,
            ),
            ExecutionStatus::TimedOut => (
                "ExecutionTimedOut",
                json!({"Error": events::error(&error)}),
                OperationStatus::TimedOut,
            ),
            ExecutionStatus::Stopped | ExecutionStatus::Running => (
                "ExecutionStopped",
                json!({"Error": events::error(&error)}),
                OperationStatus::Stopped,
            ),
        };
        if let Some(mut op) = self.ops.get(&self.exec.id).map(|o| o.op.clone()) {
            op.status = op_status;
            op.end_timestamp = Some(Millis(now_ms));
            self.put(op);
        }
        self.append(event(kind, None, details), now_ms);
    }

    /// The operations in state order: the EXECUTION operation first, then by start sequence.
    pub fn ordered(&self) -> Vec<&StoredOp> {
        let mut ops: Vec<&StoredOp> = self.ops.values().collect();
        ops.sort_by_key(|o| (o.op.kind != OperationType::Execution, o.start_seq));
        ops
    }

    /// A page of at most `max` operations from position `from`, with the marker of the next.
    pub fn page(&self, from: usize, max: usize) -> ExecutionState {
        let ops = self.ordered();
        let mut operations = Vec::new();
        let mut bytes = 0;
        let mut end = from;
        // At most `max`, and (after the first) no more than fits in an invocation's payload.
        for o in ops.iter().skip(from).take(max) {
            let size = serde_json::to_vec(&o.op).map_or(0, |v| v.len());
            if !operations.is_empty() && bytes + size > MAX_PAGE_BYTES {
                break;
            }
            bytes += size;
            operations.push(o.op.clone());
            end += 1;
        }
        ExecutionState {
            operations,
            next_marker: (end < ops.len()).then(|| end.to_string()),
        }
    }

    /// The operations changed since the invocation last saw the state; it has seen them now.
    pub fn delta(&mut self) -> Vec<Operation> {
        let seen = self.exec.seen_seq;
        let mut ops: Vec<&StoredOp> = self.ops.values().filter(|o| o.touched_seq > seen).collect();
        ops.sort_by_key(|o| o.start_seq);
        let delta = ops.into_iter().map(|o| o.op.clone()).collect();
        self.exec.seen_seq = self.exec.op_seq;
        delta
    }
}

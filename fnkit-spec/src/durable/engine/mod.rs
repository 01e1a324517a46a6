//! The durable execution service's rules, as pure functions of an execution's state and the
//! clock (feature `engine`): what a checkpoint does to each operation, when waits, retries and
//! callback timeouts fall due, the envelope an invocation gets, how an invocation's end is
//! judged, and the history events in the order AWS's conformance suite checks. fnkit-local's
//! service keeps executions in SQLite and runs them through these; `fnkit::testing::durable`
//! keeps one in memory and runs it in-process with time skipped. One rule, two hosts.
//!
//! | file | owns |
//! |---|---|
//! | `model.rs` | one execution in memory: its row, operations, events; waits and retries falling due; closing |
//! | `apply.rs` | a checkpoint's updates: the state machine of each operation type |
//! | `callbacks.rs` | callback ids, and completing a callback from outside |
//! | `chained.rs` | chained invokes: starting the target (an execution, or an invocation), ending the operation |
//! | `invocations.rs` | claiming an invocation (the envelope), tokens, checkpoints, state pages, judging an end |
//! | `outside.rs` | what comes from outside: a callback's completion, a target's end, kept while an invocation runs |
//! | `events.rs` | history events' JSON; epoch ms to the REST API's epoch seconds |

pub mod apply;
pub mod callbacks;
pub mod chained;
pub mod events;
pub mod invocations;
pub mod model;
pub mod outside;

use crate::durable::wire::{ErrorObject, ExecutionStatus};
use model::Loaded;

/// What looking at a running execution at some time did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ticked {
    /// Nothing (it is not running, or nothing fell due).
    Nothing,
    /// Something fell due: invoke the handler.
    Invoke,
    /// It ran out of time and is closed.
    TimedOut,
}

/// Looks at execution `l` at `now_ms`: its timeout, then the waits, retries and callback
/// timeouts due (only while no invocation is in flight: that one reads them at its next
/// checkpoint).
pub fn tick(l: &mut Loaded, now_ms: i64) -> Ticked {
    if l.exec.status != ExecutionStatus::Running {
        return Ticked::Nothing;
    }
    if now_ms >= l.exec.timeout_at_ms() {
        let secs = l.exec.timeout_secs;
        let m = format!("The durable execution ran past its execution timeout of {secs} seconds");
        l.exec.error = Some(ErrorObject::new("Execution.TimedOut", m));
        l.exec.invocation = None;
        l.close(ExecutionStatus::TimedOut, now_ms);
        return Ticked::TimedOut;
    }
    if l.exec.invocation.is_none() && l.apply_due(now_ms) {
        l.exec.kick = true;
    }
    match l.exec.kick {
        true => Ticked::Invoke,
        false => Ticked::Nothing,
    }
}

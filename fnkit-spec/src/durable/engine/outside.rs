//! What comes from outside an execution and changes it: a callback's completion, a chained
//! invoke's target ending, and such a change kept (deferred) while an invocation is in flight.

use serde::{Deserialize, Serialize};

use super::model::Exec;
use crate::durable::wire::{ErrorObject, ExecutionStatus};

/// How a chained invoke's target ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetEnded {
    /// How it ended.
    pub status: ExecutionStatus,
    /// Its result, when it succeeded.
    pub result: Option<String>,
    /// Its error, when it did not.
    pub error: Option<ErrorObject>,
}

impl TargetEnded {
    /// How execution `exec` ended.
    pub fn of(exec: &Exec) -> TargetEnded {
        TargetEnded {
            status: exec.status,
            result: exec.result.clone(),
            error: exec.error.clone(),
        }
    }
}

/// How an outside system completes a callback.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Completion {
    /// With a result (the request body, kept as text).
    Success(String),
    /// With an error.
    Failure(ErrorObject),
    /// Still working: the heartbeat timeout starts again.
    Heartbeat,
}

/// A completion from outside, kept for the invocation's next checkpoint or its end.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Deferred {
    /// A callback's success or failure.
    Callback {
        /// The callback's operation.
        op: String,
        /// How it was completed.
        completion: Completion,
    },
    /// A chained invoke's target ended.
    Chained {
        /// The chained invoke's operation.
        op: String,
        /// How its target ended.
        ended: TargetEnded,
    },
}

impl Deferred {
    /// The operation it completes.
    pub fn op(&self) -> &str {
        match self {
            Deferred::Callback { op, .. } | Deferred::Chained { op, .. } => op,
        }
    }
}

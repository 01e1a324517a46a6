//! What a call gives back: the end of an invocation ([`Invoked`]), or why it was not run
//! ([`InvokeError`]); and whether its caller waits ([`Mode`]).

use bytes::Bytes;

use crate::report::{Outcome, Record};
use crate::versions::Resolved;

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
    /// An asynchronous event reached its maximum age while it waited for a slot.
    #[error("the event reached its maximum age while it waited for a free slot")]
    EventAgeExceeded,
    /// The request is larger than Lambda accepts.
    #[error("Request must be smaller than {limit} bytes for the invoke operation")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The emulator failed running the call.
    #[error("the emulator failed running the call: {0}")]
    Internal(String),
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
    /// The end of the invocation's log (START to REPORT), at most 4 KB, when the caller asked.
    pub log_tail: Option<String>,
    /// The version that ran (`X-Amz-Executed-Version`).
    pub(crate) executed_version: Resolved,
}

//! Lambda durable functions in Rust (the `durable` feature), declared with
//! `#[function(durable)]`: steps (retries with backoff and jitter, at least or at most once per
//! attempt), waits, `wait_for_condition`, `map` and `parallel` (nested or FLAT, items named by a
//! namer), child contexts, callbacks, `wait_for_callback`, invokes, a replay-aware logger,
//! per-operation serialisation, replay with a non-determinism error, and [`plugin`]s told of
//! each invocation's life; against fnkit-local's durable execution service or AWS's (HTTPS,
//! SigV4). `fnkit::testing::durable` runs a handler in-process with time skipped.
//!
//! | module | owns |
//! |---|---|
//! | [`ids`] | deterministic operation ids: a positional path per context, hashed |
//! | [`retry`] | step retry strategies: exponential backoff with jitter, and the presets |
//! | [`plugin`] | plugins: the hooks, their factories, and the host that calls them |
//! | `invocation.rs` | one invocation: the envelope, the handler on the root context, the answer ([`execute`]) |
//! | `context.rs` | [`DurableContext`], waits, replay, suspension, the plugins' operation and attempt hooks |
//! | `step.rs` | steps: [`StepConfig`], attempts, retries, at most or at least once |
//! | `batch.rs` | what `map` and `parallel` decide and return: [`CompletionConfig`], [`BatchResult`] |
//! | `batch_config.rs` | how a batch runs: [`BatchConfig`], [`Nesting`], [`MapConfig`] |
//! | `parallel.rs` | `map` and `parallel`: [`Branch`], the coordinator that runs branches as futures with a suspension scope each |
//! | `summary.rs` | a batch result too large to checkpoint: its summary, and rebuilding it on replay |
//! | `condition.rs` | `wait_for_condition`: polling a check until its state satisfies a [`Condition`] |
//! | `child.rs` | child contexts: a group of operations recorded as one, [`ChildConfig`] |
//! | `logger.rs` | [`DurableLogger`]: JSON log lines that leave out what a replay writes again |
//! | `ops.rs` | callbacks, `wait_for_callback`, invoking other functions |
//! | `serdes.rs` | [`Serdes`]: an operation's own serialisation, and the default JSON |
//! | `client.rs` | the durable execution API over HTTP(S), SigV4-signed |

mod batch;
mod batch_config;
mod child;
mod client;
mod condition;
mod context;
pub mod ids;
mod invocation;
mod logger;
#[cfg(test)]
mod logger_tests;
mod ops;
mod parallel;
pub mod plugin;
#[cfg(test)]
mod plugin_tests;
pub mod retry;
mod serdes;
mod step;
mod summary;

pub use batch::{BatchItem, BatchResult, CompletionConfig, CompletionReason, ItemStatus};
pub use batch_config::{BatchConfig, MapConfig, Nesting};
pub use child::ChildConfig;
pub(crate) use client::{Client, InProcess};
pub use condition::Condition;
pub use context::DurableContext;
pub(crate) use invocation::execute_in;
pub use invocation::{execute, execute_with};
pub use logger::{DurableLogger, Level};
pub use ops::{Callback, CallbackConfig, InvokeConfig};
pub use parallel::Branch;
pub use retry::Retry;
pub use serdes::Serdes;
pub use step::{StepConfig, StepContext, StepSemantics};

/// The durable execution API's own types (operations, their types and statuses, errors), as
/// plugins and errors carry them.
pub use fnkit_spec::durable::wire;

use fnkit_spec::durable::wire::ErrorObject;

/// What a durable handler returns: `Result<T, E>` with a serializable `T` (the execution's
/// result) and an error that converts into [`crate::Error`] (the execution's failure).
#[diagnostic::on_unimplemented(
    message = "a durable handler returns `Result<T, E>` with `T: Serialize` and `E: Into<fnkit::Error>`, not `{Self}`",
    label = "the execution's result or its error"
)]
pub trait DurableReturn {
    /// The execution's result.
    type Ok: serde::Serialize;
    /// The result, with the error as fnkit's.
    fn into_durable(self) -> Result<Self::Ok, crate::Error>;
}

impl<T: serde::Serialize, E: Into<crate::Error>> DurableReturn for Result<T, E> {
    type Ok = T;
    fn into_durable(self) -> Result<T, crate::Error> {
        self.map_err(Into::into)
    }
}

/// Whether an error of `error_type` is the invocation's, not an operation's: the service could
/// not be reached, or a replay diverged. Neither is recorded as an operation's failure.
pub(crate) fn fatal_type(error_type: &str) -> bool {
    error_type == SERVICE_ERROR || error_type == NON_DETERMINISTIC
}

/// The error type of a replay that diverged.
const NON_DETERMINISTIC: &str = "DurableExecution.NonDeterministic";

/// `e` as the service records an error.
pub(crate) fn error_object(e: &crate::Error) -> ErrorObject {
    ErrorObject::new(e.error_type(), e.message())
}

/// The error type of a failure to reach the durable execution service: the invocation fails
/// (and the service invokes it again) instead of the execution.
const SERVICE_ERROR: &str = "DurableExecution.Service";

/// Why a durable operation did not give its result.
///
/// It converts into [`crate::Error`] with `?`, keeping a failed step's own error type (it is not
/// a `std::error::Error`, which would make it a generic one).
#[derive(Debug, Clone)]
pub enum DurableError {
    /// The step failed for good (its retries are used up); its last error.
    Step(ErrorObject),
    /// The code asked for a different operation than the one recorded at this point of a
    /// replay: the handler is not deterministic (it branched on time, randomness or outside
    /// state without a step).
    NonDeterministic {
        /// The operation's place in the code path (`2-1`).
        position: String,
        /// What the execution recorded there.
        recorded: String,
        /// What the code asked for.
        asked: String,
    },
    /// A child context failed; its error.
    Child(ErrorObject),
    /// A `wait_for_condition` check failed, or its attempts ran out before the condition held
    /// (`WaitForConditionError`); its error.
    Condition(ErrorObject),
    /// A callback failed or timed out (`Callback.Timeout`, `Callback.Heartbeat`); its error.
    Callback(ErrorObject),
    /// The invoked function failed, timed out or was stopped; its error.
    Invoke(ErrorObject),
    /// The code asked for something the service refuses (an operation name it does not accept).
    Invalid(String),
    /// A result could not be turned into JSON or back.
    Serde(String),
    /// The durable execution service could not be reached or refused the call.
    Service(String),
}

impl DurableError {
    /// Whether this is the invocation's trouble, not the operation's: the service could not be
    /// reached, or a replay diverged, also when it comes out of a child context, a
    /// `wait_for_callback` or a batch's branch. Let it go up (`?`): the invocation fails and the
    /// service invokes it again, or the execution fails as not deterministic. Compensating for
    /// it as if the operation had failed would act on a failure that did not happen.
    pub fn is_fatal(&self) -> bool {
        match self {
            DurableError::Service(_) | DurableError::NonDeterministic { .. } => true,
            DurableError::Step(e)
            | DurableError::Child(e)
            | DurableError::Condition(e)
            | DurableError::Callback(e)
            | DurableError::Invoke(e) => fatal_type(e.error_type.as_deref().unwrap_or_default()),
            DurableError::Invalid(_) | DurableError::Serde(_) => false,
        }
    }
}

impl std::fmt::Display for DurableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DurableError::Step(e) => {
                write!(f, "the step failed: {}", e.error_message.as_deref().unwrap_or_default())
            }
            DurableError::NonDeterministic {
                position,
                recorded,
                asked,
            } => write!(
                f,
                "non-deterministic replay at operation {position}: the execution recorded {recorded}, the code now asks for {asked}"
            ),
            DurableError::Child(e)
            | DurableError::Condition(e)
            | DurableError::Callback(e)
            | DurableError::Invoke(e) => {
                f.write_str(e.error_message.as_deref().unwrap_or_default())
            }
            DurableError::Invalid(m) => f.write_str(m),
            DurableError::Serde(m) => write!(f, "serialization: {m}"),
            DurableError::Service(m) => write!(f, "durable execution service: {m}"),
        }
    }
}

impl From<DurableError> for crate::Error {
    fn from(e: DurableError) -> Self {
        let recorded = |error: &ErrorObject, default: &str| {
            error.error_type.clone().unwrap_or_else(|| default.into())
        };
        let kind: String = match &e {
            DurableError::Step(error) => recorded(error, "StepError"),
            DurableError::Child(error) => recorded(error, "ChildContextError"),
            DurableError::Condition(error) => recorded(error, "WaitForConditionError"),
            DurableError::Callback(error) => recorded(error, "CallbackError"),
            DurableError::Invoke(error) => recorded(error, "InvokeError"),
            DurableError::NonDeterministic { .. } => NON_DETERMINISTIC.into(),
            DurableError::Invalid(_) => "DurableExecution.InvalidOperation".into(),
            DurableError::Serde(_) => "DurableExecution.Serialization".into(),
            DurableError::Service(_) => SERVICE_ERROR.into(),
        };
        let message = match &e {
            DurableError::Step(error)
            | DurableError::Child(error)
            | DurableError::Condition(error)
            | DurableError::Callback(error)
            | DurableError::Invoke(error) => error.error_message.clone().unwrap_or_default(),
            other => other.to_string(),
        };
        crate::Error::new(kind, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_errors_stay_fatal_through_a_child_context() {
        let service = DurableError::Service("connection refused".into());
        assert!(service.is_fatal());
        // A child context's body returns a fnkit::Error: the service's error crosses it by type.
        let through_child = DurableError::Child(error_object(&crate::Error::from(service)));
        assert!(through_child.is_fatal());
        let diverged = DurableError::NonDeterministic {
            position: "2".into(),
            recorded: "a step".into(),
            asked: "a wait".into(),
        };
        let through_child = DurableError::Child(error_object(&crate::Error::from(diverged)));
        assert!(through_child.is_fatal());
        let declined = DurableError::Child(ErrorObject::new("CardDeclined", "no"));
        assert!(!declined.is_fatal());
        assert!(!DurableError::Callback(ErrorObject::new("Callback.Timeout", "late")).is_fatal());
    }
}

//! `wait_for_condition`: a check that runs once per attempt, threading a state from attempt to
//! attempt through its checkpoint, until the state satisfies a condition or the attempts run out.
//! Between attempts the invocation ends, and the service invokes the handler again when the
//! delay is over (one STEP operation, sub-type `WaitForCondition`, as AWS's SDKs record it).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fnkit_spec::durable::wire::{
    ErrorObject, OperationAction, OperationStatus, OperationType, OperationUpdate, StepOptions,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::context::DurableContext;
use super::retry::{Jitter, Retry};
use super::serdes::{self, Serdes};
use super::step::{random_unit, StepContext};
use super::DurableError;
use crate::Error;

/// What `wait_for_condition` waits for: the first state, when it is done, how often to look.
pub struct Condition<S> {
    initial: S,
    done: Arc<dyn Fn(&S) -> bool + Send + Sync>,
    polling: Retry,
    serdes: Option<Arc<dyn Serdes>>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for Condition<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition")
            .field("initial", &self.initial)
            .field("polling", &self.polling)
            .finish_non_exhaustive()
    }
}

impl<S> Condition<S> {
    /// Polls from `initial` until `done(state)`: at most 60 attempts, 5 s apart growing 1.5×
    /// to at most 5 minutes, with full jitter (the SDKs' default wait strategy).
    pub fn until(initial: S, done: impl Fn(&S) -> bool + Send + Sync + 'static) -> Self {
        Condition {
            initial,
            done: Arc::new(done),
            polling: Retry::exponential()
                .max_attempts(60)
                .initial(Duration::from_secs(5))
                .max_delay(Duration::from_secs(300))
                .backoff(1.5),
            serdes: None,
        }
    }

    /// The same, polling as `polling` says (its attempts, delays and jitter).
    pub fn polling(mut self, polling: Retry) -> Self {
        self.polling = polling;
        self
    }

    /// The same, polling every `delay` exactly (no growth, no jitter).
    pub fn every(mut self, delay: Duration) -> Self {
        self.polling = self
            .polling
            .initial(delay)
            .max_delay(delay)
            .backoff(1.0)
            .jitter(Jitter::None);
        self
    }

    /// The same, with at most `n` attempts.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.polling = self.polling.max_attempts(n);
        self
    }

    /// The same, the state written through `serdes`.
    pub fn serdes(mut self, serdes: impl Serdes + 'static) -> Self {
        self.serdes = Some(Arc::new(serdes));
        self
    }
}

impl DurableContext {
    /// Runs `check` on the state (the condition's initial state first, then what the last
    /// attempt returned) until the state satisfies the condition, waiting between attempts as
    /// the condition's polling says; returns the last state. A failing check fails the operation
    /// at once; attempts running out fail it with `WaitForConditionError`.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use fnkit::durable::{Condition, DurableContext};
    /// # async fn f(ctx: DurableContext) -> Result<(), fnkit::durable::DurableError> {
    /// let until_ready = Condition::until(0u32, |polls| *polls >= 3).every(Duration::from_secs(10));
    /// let polls = ctx
    ///     .wait_for_condition("job-ready", until_ready, |polls, _| async move { Ok(polls + 1) })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    // long: one operation's whole life (replay, attempt, decision, checkpoint), top to bottom.
    pub async fn wait_for_condition<S, F, Fut>(
        &self,
        name: &str,
        condition: Condition<S>,
        check: F,
    ) -> Result<S, DurableError>
    where
        S: Serialize + DeserializeOwned,
        F: FnOnce(S, StepContext) -> Fut,
        Fut: Future<Output = Result<S, Error>>,
    {
        const SUB_TYPE: &str = "WaitForCondition";
        let (op, record) = self.begin(OperationType::Step, SUB_TYPE, name)?;
        let details = record
            .as_ref()
            .and_then(|op| op.step_details.clone())
            .unwrap_or_default();
        let serdes = condition.serdes.as_deref();
        let status = record.as_ref().map(|op| op.status);
        match status {
            Some(OperationStatus::Succeeded) => {
                return serdes::read(serdes, details.result.as_deref())
            }
            Some(OperationStatus::Failed) => {
                return Err(DurableError::Condition(details.error.unwrap_or_default()))
            }
            Some(OperationStatus::Pending) => return self.suspend().await,
            _ => {}
        }
        let state: S = match details.result.as_deref().filter(|r| !r.is_empty()) {
            Some(text) => serdes::read(serdes, Some(text))?,
            None => serdes::read(serdes, Some(&serdes::write(serdes, &condition.initial)?))?,
        };
        let attempt = details.attempt.unwrap_or(0) + 1;
        let mut updates = Vec::new();
        if status != Some(OperationStatus::Started) {
            updates.push(op.update(OperationAction::Start));
        }
        let failed = |error: ErrorObject, mut updates: Vec<OperationUpdate>| {
            updates.push(OperationUpdate {
                error: Some(error),
                ..op.update(OperationAction::Fail)
            });
            updates
        };
        let check = check(state, self.step_context(&op.id, name, attempt));
        let next = match self.attempt(&op, Some(attempt), false, check).await {
            Ok(next) => next,
            Err(e) => {
                let error = super::error_object(&e);
                self.checkpoint(failed(error.clone(), updates)).await?;
                return Err(DurableError::Condition(error));
            }
        };
        // Decided on the state as a replay will read it.
        let payload = serdes::write(serdes, &next)?;
        let next: S = serdes::read(serdes, Some(&payload))?;
        if (condition.done)(&next) {
            updates.push(OperationUpdate {
                payload: Some(payload),
                ..op.update(OperationAction::Succeed)
            });
            self.checkpoint(updates).await?;
            return Ok(next);
        }
        let Some(delay) = condition.polling.next_delay(attempt, random_unit()) else {
            let error = ErrorObject::new(
                "WaitForConditionError",
                format!(
                    "wait_for_condition exhausted {} attempts before the condition was met",
                    condition.polling.max_attempts
                ),
            );
            self.checkpoint(failed(error.clone(), updates)).await?;
            return Err(DurableError::Condition(error));
        };
        updates.push(OperationUpdate {
            payload: Some(payload),
            step_options: Some(StepOptions {
                next_attempt_delay_seconds: Some(delay),
            }),
            ..op.update(OperationAction::Retry)
        });
        self.checkpoint(updates).await?;
        self.suspend().await
    }
}

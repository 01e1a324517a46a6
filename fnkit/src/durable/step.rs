//! Steps: a body run as one operation, its result (or failure) checkpointed and returned from
//! the record on replay; a failed attempt retried as its [`Retry`] says, and its start sent with
//! its end (at least once per attempt) or before its body (at most once).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fnkit_spec::durable::wire::{
    OperationAction, OperationStatus, OperationType, OperationUpdate, StepOptions,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::context::DurableContext;
use super::ids::OperationId;
use super::logger::{self, DurableLogger};
use super::retry::Retry;
use super::serdes::{self, Serdes};
use super::DurableError;
use crate::Error;

/// What a step's body is told.
#[derive(Debug, Clone)]
pub struct StepContext {
    /// The attempt running: 1 for the first.
    pub attempt: u32,
    logger: DurableLogger,
}

impl StepContext {
    /// A logger whose lines name the step and its attempt (a step's body runs only when the
    /// step is not replayed, so its lines are never left out as replayed).
    pub fn logger(&self) -> &DurableLogger {
        &self.logger
    }
}

/// How a step runs.
#[derive(Debug, Clone, Default)]
pub struct StepConfig {
    /// When a failed attempt is tried again ([`Retry::default`] when unset).
    pub retry: Option<Retry>,
    /// How often the body may run per attempt.
    pub semantics: StepSemantics,
    /// How the result is written into the checkpoint (JSON when unset).
    pub serdes: Option<Arc<dyn Serdes>>,
}

/// How often a step's body may run per attempt when an invocation dies during it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StepSemantics {
    /// The attempt's start is sent with its end (or on its own, without waiting for it, once
    /// the body has run 1 s): an invocation that dies during the body runs it again. The
    /// fastest; make the body idempotent.
    #[default]
    AtLeastOncePerRetry,
    /// The attempt's start is checkpointed before the body runs: an invocation that dies
    /// during the body counts the attempt as failed (`StepInterruptedError`), and the retry
    /// strategy decides whether another attempt runs.
    AtMostOncePerRetry,
}

impl StepConfig {
    /// The same, retried as `retry` says.
    pub fn retry(mut self, retry: Retry) -> StepConfig {
        self.retry = Some(retry);
        self
    }

    /// The same, run at most once per attempt ([`StepSemantics::AtMostOncePerRetry`]).
    pub fn at_most_once(mut self) -> StepConfig {
        self.semantics = StepSemantics::AtMostOncePerRetry;
        self
    }

    /// The same, its result written through `serdes`.
    pub fn serdes(mut self, serdes: impl Serdes + 'static) -> StepConfig {
        self.serdes = Some(Arc::new(serdes));
        self
    }
}

impl DurableContext {
    /// What a step's (or a condition check's) body is told for attempt `attempt` of `id`.
    pub(super) fn step_context(&self, id: &OperationId, name: &str, attempt: u32) -> StepContext {
        let operation = logger::Operation {
            id: id.wire.clone(),
            name: name.to_owned(),
            attempt,
        };
        StepContext {
            attempt,
            logger: DurableLogger::new(self.clone(), Some(operation)),
        }
    }

    /// Runs `body` as the step `name` (retried as [`Retry::default`] says), or returns its
    /// recorded result on a replay.
    pub async fn step<T, F, Fut>(&self, name: &str, body: F) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.step_with(name, StepConfig::default(), body).await
    }

    /// [`DurableContext::step`] with its configuration.
    // long: one operation's whole life (replay, attempt, retry or failure), read top to bottom.
    pub async fn step_with<T, F, Fut>(
        &self,
        name: &str,
        config: StepConfig,
        body: F,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let (op, record) = self.begin(OperationType::Step, "Step", name)?;
        let details = record
            .as_ref()
            .and_then(|op| op.step_details.clone())
            .unwrap_or_default();
        let serdes = config.serdes.as_deref();
        let status = record.as_ref().map(|op| op.status);
        match status {
            Some(OperationStatus::Succeeded) => {
                return serdes::read(serdes, details.result.as_deref());
            }
            Some(OperationStatus::Failed) => {
                return Err(DurableError::Step(details.error.unwrap_or_default()));
            }
            Some(OperationStatus::Pending) => return self.suspend().await,
            _ => {}
        }
        let attempt = details.attempt.unwrap_or(0) + 1;
        let at_most_once = config.semantics == StepSemantics::AtMostOncePerRetry;
        let mut updates = Vec::new();
        let outcome = if at_most_once && status == Some(OperationStatus::Started) {
            // The attempt began in an invocation that died: it counts as failed, unrun.
            Err(Error::new(
                "StepInterruptedError",
                format!("the step {name:?} was interrupted during attempt {attempt}"),
            ))
        } else {
            let body = self.attempt(
                &op,
                Some(attempt),
                false,
                body(self.step_context(&op.id, name, attempt)),
            );
            let start = op.update(OperationAction::Start);
            match status {
                // Started in an invocation that died (at least once): run again, no new START.
                Some(OperationStatus::Started) => body.await,
                // At most once: START is checkpointed before the body runs.
                _ if at_most_once => {
                    self.checkpoint(vec![start]).await?;
                    body.await
                }
                _ => self.run_with_start(body, start, &mut updates).await?,
            }
        };
        match outcome {
            Ok(value) => {
                // Read back from what is written, so the first run sees what a replay will.
                let payload = serdes::write(serdes, &value)?;
                let value = serdes::read(serdes, Some(&payload))?;
                updates.push(OperationUpdate {
                    payload: Some(payload),
                    ..op.update(OperationAction::Succeed)
                });
                self.checkpoint(updates).await?;
                Ok(value)
            }
            Err(error) => {
                let retry = config.retry.unwrap_or_default();
                let delay = match retry.retries(&error) {
                    true => retry.next_delay(attempt, random_unit()),
                    false => None,
                };
                let error = super::error_object(&error);
                match delay {
                    Some(delay) => {
                        updates.push(OperationUpdate {
                            error: Some(error),
                            step_options: Some(StepOptions {
                                next_attempt_delay_seconds: Some(delay),
                            }),
                            ..op.update(OperationAction::Retry)
                        });
                        self.checkpoint(updates).await?;
                        self.suspend().await
                    }
                    None => {
                        updates.push(OperationUpdate {
                            error: Some(error.clone()),
                            ..op.update(OperationAction::Fail)
                        });
                        self.checkpoint(updates).await?;
                        Err(DurableError::Step(error))
                    }
                }
            }
        }
    }
}

impl DurableContext {
    /// Runs an at-least-once attempt's `body`, with its `start`: a body that ends within
    /// [`START_ALONE_AFTER`] leaves the START in `updates`, to go with the attempt's end in one
    /// checkpoint; a longer one has its START checkpointed while it goes on, so the service
    /// knows the attempt started (an invocation that dies then leaves a STARTED step, which the
    /// next one runs again without a new START).
    async fn run_with_start<T>(
        &self,
        body: impl Future<Output = T>,
        start: OperationUpdate,
        updates: &mut Vec<OperationUpdate>,
    ) -> Result<T, DurableError> {
        if self.in_process() {
            // A test's service (fnkit::testing::durable): no crash to guard against, and the
            // checkpoints a test counts do not depend on how long a body took.
            updates.push(start);
            return Ok(body.await);
        }
        let mut body = std::pin::pin!(body);
        tokio::select! {
            biased;
            out = &mut body => {
                updates.push(start);
                return Ok(out);
            }
            () = tokio::time::sleep(START_ALONE_AFTER) => {}
        }
        // Once sent, the START is awaited to its answer even if the body ends first: a
        // checkpoint dropped in flight may or may not have been applied.
        let (out, sent) = tokio::join!(body, self.checkpoint(vec![start]));
        sent?;
        Ok(out)
    }
}

/// How long an at-least-once step's body runs before its START is checkpointed on its own:
/// AWS's Python SDK sends a START without blocking, in a batch that waits at most 1 s
/// (`max_batch_time_seconds`) unless a blocking checkpoint (the step's end) flushes it first.
/// A shorter body costs nothing more (one timer); a longer one one more checkpoint, made while
/// it runs.
const START_ALONE_AFTER: Duration = Duration::from_secs(1);

/// A random number in `[0, 1)`, for jitter.
pub(super) fn random_unit() -> f64 {
    let random = f64::from(uuid::Uuid::new_v4().as_u128() as u32) / f64::from(u32::MAX);
    random.min(0.999_999)
}

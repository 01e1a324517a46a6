//! Child contexts: a body whose operations are grouped under one operation, whose result (or
//! failure) is recorded as that operation's. A finished child returns its record on replay
//! without running its body, except for a result too large to checkpoint, which the body
//! rebuilds from its children's records (the SDKs' `ReplayChildren`).

use std::future::Future;
use std::sync::Arc;

use fnkit_spec::durable::wire::{
    ContextOptions, Operation, OperationAction, OperationStatus, OperationType, OperationUpdate,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::context::{DurableContext, Op};
use super::serdes::{self, Serdes};
use super::DurableError;
use crate::Error;

/// The largest result a child context checkpoints; a larger one is rebuilt on replay by running
/// the context's body again over its children's records (the SDKs' `ReplayChildren`).
const CHILD_RESULT_LIMIT: usize = 256 * 1024;

/// How a child context runs.
#[derive(Debug, Clone, Default)]
pub struct ChildConfig {
    /// How the result is written into the checkpoint (JSON when unset); the checkpoint holds
    /// exactly what it writes, and the result is read back from that, on the first run as on a
    /// replay.
    pub serdes: Option<Arc<dyn Serdes>>,
}

impl ChildConfig {
    /// The same, its result written through `serdes`.
    pub fn serdes(mut self, serdes: impl Serdes + 'static) -> ChildConfig {
        self.serdes = Some(Arc::new(serdes));
        self
    }
}

impl DurableContext {
    /// Runs `body` in a child context named `name`: its operations are grouped under it, and its
    /// result is recorded as one.
    pub async fn run_in_child_context<T, F, Fut>(
        &self,
        name: &str,
        body: F,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(DurableContext) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.run_in_child_context_with(name, ChildConfig::default(), body)
            .await
    }

    /// [`DurableContext::run_in_child_context`] with its configuration.
    ///
    /// ```no_run
    /// # use fnkit::durable::{ChildConfig, DurableContext, Serdes};
    /// # use serde_json::Value;
    /// /// Checkpoints a string as its bare text, not as JSON.
    /// #[derive(Debug)]
    /// struct Bare;
    /// impl Serdes for Bare {
    ///     fn serialize(&self, value: Value) -> Result<String, fnkit::Error> {
    ///         Ok(value.as_str().unwrap_or_default().to_owned())
    ///     }
    ///     fn deserialize(&self, text: &str) -> Result<Value, fnkit::Error> {
    ///         Ok(Value::from(text))
    ///     }
    /// }
    /// # async fn f(ctx: DurableContext) -> Result<(), fnkit::durable::DurableError> {
    /// let config = ChildConfig::default().serdes(Bare);
    /// let text: String = ctx
    ///     .run_in_child_context_with("render", config, |child| async move {
    ///         Ok(child.step("load", |_| async { Ok("a page".to_owned()) }).await?)
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn run_in_child_context_with<T, F, Fut>(
        &self,
        name: &str,
        config: ChildConfig,
        body: F,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(DurableContext) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let serdes = config.serdes.as_deref();
        self.child_context(name, "RunInChildContext", serdes, None, body)
            .await
    }

    /// A child context of `sub_type`, its result written through `serdes`; its operations'
    /// suspensions told to `scope` when given (a branch of a batch), else to this context's.
    pub(super) async fn child_context<T, F, Fut>(
        &self,
        name: &str,
        sub_type: &str,
        serdes: Option<&dyn Serdes>,
        scope: Option<Arc<tokio::sync::Notify>>,
        body: F,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(DurableContext) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let (op, record) = self.begin(OperationType::Context, sub_type, name)?;
        self.run_child(op, record, serdes, scope, &|_| None, body)
            .await
    }

    /// The child context `op`, whose record is `record`: see [`DurableContext::child_context`].
    /// A result too large to checkpoint is written as `summarize` says (a batch's summary), or
    /// as nothing.
    // long: one operation's whole life (replay, body, large result, failure), top to bottom.
    pub(super) async fn run_child<T, F, Fut>(
        &self,
        op: Op<'_>,
        record: Option<Operation>,
        serdes: Option<&dyn Serdes>,
        scope: Option<Arc<tokio::sync::Notify>>,
        summarize: &(dyn Fn(&T) -> Option<String> + Sync),
        body: F,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(DurableContext) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let details = record
            .as_ref()
            .and_then(|op| op.context_details.clone())
            .unwrap_or_default();
        let replay_children = details.replay_children == Some(true);
        match record.as_ref().map(|op| op.status) {
            Some(OperationStatus::Succeeded) if !replay_children => {
                return serdes::read(serdes, details.result.as_deref())
            }
            Some(OperationStatus::Failed) => {
                return Err(DurableError::Child(details.error.unwrap_or_default()))
            }
            _ => {}
        }
        if record.is_none() {
            self.checkpoint(vec![op.update(OperationAction::Start)])
                .await?;
        }
        let child = match scope {
            Some(scope) => self.child(&op.id).in_scope(scope),
            None => self.child(&op.id),
        };
        let first = record.is_none().then_some(1);
        let outcome = self.attempt(&op, first, replay_children, body(child)).await;
        if record.as_ref().map(|op| op.status) == Some(OperationStatus::Succeeded) {
            // Replaying a large result: rebuilt from the children, recorded already.
            return outcome.map_err(|e| DurableError::Child(super::error_object(&e)));
        }
        match outcome {
            Ok(value) => {
                let payload = serdes::write(serdes, &value)?;
                let large = payload.len() > CHILD_RESULT_LIMIT;
                // A small result is read back from what is written, so the first run sees what
                // a replay will; a large one is the body's, as its replay rebuilds it.
                let value = match large {
                    true => value,
                    false => serdes::read(serdes, Some(&payload))?,
                };
                let payload = match large {
                    true => summarize(&value).unwrap_or_default(),
                    false => payload,
                };
                self.checkpoint(vec![OperationUpdate {
                    payload: Some(payload),
                    context_options: large.then_some(ContextOptions {
                        replay_children: Some(true),
                    }),
                    ..op.update(OperationAction::Succeed)
                }])
                .await?;
                Ok(value)
            }
            Err(e) => {
                let error = super::error_object(&e);
                if super::fatal_type(e.error_type()) {
                    // The invocation's trouble, not the child's: nothing is recorded.
                    return Err(DurableError::Child(error));
                }
                self.checkpoint(vec![OperationUpdate {
                    error: Some(error.clone()),
                    ..op.update(OperationAction::Fail)
                }])
                .await?;
                Err(DurableError::Child(error))
            }
        }
    }
}

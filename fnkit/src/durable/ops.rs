//! The operations besides steps, waits and child contexts: callbacks (and waiting for one with
//! a submitter step), and invoking another function. Each follows the same rule as a step: find
//! the record and check it is the same operation, return what it recorded, or start it.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use fnkit_spec::durable::wire::{
    CallbackOptions, ChainedInvokeOptions, OperationAction, OperationStatus, OperationType,
    OperationUpdate,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::context::DurableContext;
use super::ids::OperationId;
use super::retry::Retry;
use super::serdes;
use super::step::StepConfig;
use super::DurableError;
use crate::Error;

/// How long a callback may take, and (for [`DurableContext::wait_for_callback`]) how its
/// submitter step is retried.
#[derive(Debug, Clone, Default)]
pub struct CallbackConfig {
    /// It times out after this (none when unset).
    pub timeout: Option<Duration>,
    /// It times out when no heartbeat comes for this long (none when unset).
    pub heartbeat_timeout: Option<Duration>,
    /// `wait_for_callback`'s submitter step is retried as this says ([`Retry::default`] when
    /// unset); when its attempts run out, the whole operation fails. `create_callback` has no
    /// submitter and ignores it.
    pub submitter_retry: Option<Retry>,
}

impl CallbackConfig {
    /// A callback that times out after `d`.
    pub fn timeout(d: Duration) -> CallbackConfig {
        CallbackConfig {
            timeout: Some(d),
            ..CallbackConfig::default()
        }
    }

    /// The same, `wait_for_callback`'s submitter step retried as `retry` says.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use fnkit::durable::{CallbackConfig, DurableContext, Retry};
    /// # async fn f(ctx: DurableContext) -> Result<(), fnkit::durable::DurableError> {
    /// // Two attempts to hand the callback's id over, 1 s apart.
    /// let retry = Retry::exponential().max_attempts(2).initial(Duration::from_secs(1));
    /// let config = CallbackConfig::timeout(Duration::from_secs(3600)).submitter_retry(retry);
    /// let approved: bool = ctx
    ///     .wait_for_callback("approval", config, |id| async move {
    ///         println!("approve with {id}");
    ///         Ok(())
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn submitter_retry(mut self, retry: Retry) -> CallbackConfig {
        self.submitter_retry = Some(retry);
        self
    }

    /// The same, timing out without a heartbeat for `d`.
    pub fn heartbeat(mut self, d: Duration) -> CallbackConfig {
        self.heartbeat_timeout = Some(d);
        self
    }
}

/// How [`DurableContext::invoke_with`] invokes a function.
#[derive(Debug, Clone, Default)]
pub struct InvokeConfig {
    /// The tenant it is invoked for (`TenantId`, for a function with tenant isolation); none
    /// when unset.
    pub tenant_id: Option<String>,
}

impl InvokeConfig {
    /// The same, invoking for the tenant `id`.
    pub fn tenant(mut self, id: impl Into<String>) -> InvokeConfig {
        self.tenant_id = Some(id.into());
        self
    }
}

/// A callback: give [`Callback::id`] to the outside system, then await [`Callback::result`].
#[derive(Debug)]
pub struct Callback<T> {
    ctx: DurableContext,
    id: OperationId,
    callback_id: String,
    result: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Callback<T> {
    /// The id the outside system completes it with (`SendDurableExecutionCallbackSuccess`).
    pub fn id(&self) -> &str {
        &self.callback_id
    }

    /// Its result (the JSON it was completed with), its failure or timeout; suspends until then.
    pub async fn result(&self) -> Result<T, DurableError> {
        let op = self.ctx.operation(&self.id);
        let details = op
            .as_ref()
            .and_then(|op| op.callback_details.clone())
            .unwrap_or_default();
        match op.map(|op| op.status) {
            Some(OperationStatus::Succeeded) => serdes::read(None, details.result.as_deref()),
            Some(OperationStatus::Failed | OperationStatus::TimedOut) => {
                Err(DurableError::Callback(details.error.unwrap_or_default()))
            }
            _ => self.ctx.suspend().await,
        }
    }
}

fn secs(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_secs_f64().ceil().max(1.0) as u64)
}

impl DurableContext {
    /// Creates the callback `name`; an outside system completes it with its id.
    pub async fn create_callback<T: DeserializeOwned>(
        &self,
        name: &str,
        config: CallbackConfig,
    ) -> Result<Callback<T>, DurableError> {
        let (op, record) = self.begin(OperationType::Callback, "Callback", name)?;
        if record.is_none() {
            let start = OperationUpdate {
                callback_options: Some(CallbackOptions {
                    timeout_seconds: secs(config.timeout),
                    heartbeat_timeout_seconds: secs(config.heartbeat_timeout),
                }),
                ..op.update(OperationAction::Start)
            };
            self.checkpoint(vec![start]).await?;
        }
        let callback_id = self
            .operation(&op.id)
            .and_then(|op| op.callback_details)
            .and_then(|d| d.callback_id)
            .ok_or_else(|| DurableError::Service("the service gave the callback no id".into()))?;
        Ok(Callback {
            ctx: self.clone(),
            id: op.id,
            callback_id,
            result: PhantomData,
        })
    }

    /// Creates a callback, runs `submit` with its id as a step (to hand the id to the outside
    /// system), and waits for its result: the SDKs' `wait_for_callback`. Inside its context
    /// (named `name`) the callback is named `name` too and the step `{name}-submitter`; with
    /// no name (`""`), the callback has none and the step is `submitter`.
    pub async fn wait_for_callback<T, F, Fut>(
        &self,
        name: &str,
        config: CallbackConfig,
        submit: F,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<(), Error>>,
    {
        let step = StepConfig {
            retry: config.submitter_retry.clone(),
            ..StepConfig::default()
        };
        self.child_context(name, "WaitForCallback", None, None, |ctx| async move {
            let callback: Callback<T> = ctx.create_callback(name, config).await?;
            let id = callback.id().to_owned();
            let submitter = match name {
                "" => "submitter".to_owned(),
                name => format!("{name}-submitter"),
            };
            ctx.step_with(&submitter, step, |_| submit(id)).await?;
            Ok(callback.result().await?)
        })
        .await
    }

    /// Invokes `function` (a name with its qualifier, `orders:live`, or an ARN) with `input` as
    /// the operation `name`, and returns its result; suspends until it ends.
    pub async fn invoke<I, O>(
        &self,
        name: &str,
        function: &str,
        input: &I,
    ) -> Result<O, DurableError>
    where
        I: Serialize,
        O: DeserializeOwned,
    {
        self.invoke_with(name, function, input, InvokeConfig::default())
            .await
    }

    /// [`DurableContext::invoke`] with its configuration.
    ///
    /// ```no_run
    /// # use fnkit::durable::{DurableContext, InvokeConfig};
    /// # async fn f(ctx: DurableContext) -> Result<(), fnkit::durable::DurableError> {
    /// let config = InvokeConfig::default().tenant("acme");
    /// let invoice: serde_json::Value = ctx
    ///     .invoke_with("bill", "billing:live", &serde_json::json!({"month": 11}), config)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn invoke_with<I, O>(
        &self,
        name: &str,
        function: &str,
        input: &I,
        config: InvokeConfig,
    ) -> Result<O, DurableError>
    where
        I: Serialize,
        O: DeserializeOwned,
    {
        let (op, record) = self.begin(OperationType::ChainedInvoke, "ChainedInvoke", name)?;
        if record.is_none() {
            let start = OperationUpdate {
                payload: Some(serdes::write(None, input)?),
                chained_invoke_options: Some(ChainedInvokeOptions {
                    function_name: Some(function.to_owned()),
                    tenant_id: config.tenant_id,
                }),
                ..op.update(OperationAction::Start)
            };
            self.checkpoint(vec![start]).await?;
        }
        let op = self.operation(&op.id);
        let details = op
            .as_ref()
            .and_then(|op| op.chained_invoke_details.clone())
            .unwrap_or_default();
        match op.map(|op| op.status) {
            Some(OperationStatus::Succeeded) => serdes::read(None, details.result.as_deref()),
            Some(OperationStatus::Started) | None => self.suspend().await,
            Some(_) => Err(DurableError::Invoke(details.error.unwrap_or_default())),
        }
    }
}

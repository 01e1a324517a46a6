//! One invocation of a durable handler: the service's envelope read (paging through the
//! execution's state), the plugins told it starts, the handler run on the root context until it
//! returns or suspends, the plugins told how it ended, and the answer to the service.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use fnkit_spec::durable::wire::{
    InvocationInput, InvocationOutput, InvocationStatus, Operation, OperationType,
};
use futures_util::FutureExt as _;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Notify;

use super::client::Client;
use super::context::{DurableContext, Shared};
use super::plugin::{Host, InvocationEndInfo, InvocationInfo, InvocationOutcome, Plugins};
use crate::Error;

/// Runs a durable handler for one invocation: reads the envelope (paging through the state),
/// gives the handler the execution's input and a context, and answers the service: SUCCEEDED
/// with the handler's result, FAILED with its error, or PENDING when it suspended. A failure to
/// reach the service is the invocation's own error, so the service invokes it again.
pub async fn execute<T, R, F, Fut>(
    envelope: serde_json::Value,
    handler: F,
) -> Result<serde_json::Value, Error>
where
    T: DeserializeOwned,
    R: Serialize,
    F: FnOnce(T, DurableContext) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    execute_with(envelope, &Plugins::default(), handler).await
}

/// [`execute`], telling `plugins` of the invocation as it runs.
pub async fn execute_with<T, R, F, Fut>(
    envelope: serde_json::Value,
    plugins: &Plugins,
    handler: F,
) -> Result<serde_json::Value, Error>
where
    T: DeserializeOwned,
    R: Serialize,
    F: FnOnce(T, DurableContext) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    execute_in(envelope, Client::from_env()?, plugins, handler).await
}

/// [`execute_with`] through `client` (the process's, or a service in this process).
// long: the envelope read, the plugins told, the handler run, the plugins told; top to bottom.
pub(crate) async fn execute_in<T, R, F, Fut>(
    envelope: serde_json::Value,
    client: Client,
    plugins: &Plugins,
    handler: F,
) -> Result<serde_json::Value, Error>
where
    T: DeserializeOwned,
    R: Serialize,
    F: FnOnce(T, DurableContext) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    let envelope: InvocationInput = serde_json::from_value(envelope)
        .map_err(|e| Error::new("DurableExecution.InvalidEnvelope", e.to_string()))?;
    let arn = envelope.durable_execution_arn;
    let mut ops: HashMap<String, Operation> = HashMap::new();
    let mut page = envelope.initial_execution_state;
    loop {
        ops.extend(page.operations.into_iter().map(|op| (op.id.clone(), op)));
        match page.next_marker.filter(|m| !m.is_empty()) {
            Some(marker) => {
                page = client
                    .state(&arn, &envelope.checkpoint_token, &marker)
                    .await?
            }
            None => break,
        }
    }
    let exec_id = arn.rsplit('/').next().unwrap_or_default();
    let text = ops
        .get(exec_id)
        .and_then(|op| op.execution_details.as_ref())
        .and_then(|d| d.input_payload.clone())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "null".into());
    let invalid = |e: serde_json::Error| Error::new("DurableExecution.InvalidInput", e.to_string());
    let input: T = serde_json::from_str(&text).map_err(invalid)?;
    // The input as a value only for plugins to read: a second parse only when one listens.
    let value = match plugins.is_empty() {
        true => serde_json::Value::Null,
        false => serde_json::from_str(&text).map_err(invalid)?,
    };
    let host = Host::start(
        plugins,
        &InvocationInfo {
            execution_arn: &arn,
            is_first_invocation: !ops.values().any(|op| op.kind != OperationType::Execution),
            input: &value,
            operations: &ops,
            updated_operation_ids: &envelope.updated_operation_ids,
        },
    );
    let shared = Arc::new(Shared {
        arn,
        client,
        token: tokio::sync::Mutex::new(envelope.checkpoint_token),
        ops: Mutex::new(ops),
        host,
    });
    let answer = run(shared.clone(), input, handler).await;
    let (outcome, result, error) = match &answer {
        Ok(out) => match out.status {
            InvocationStatus::Succeeded => {
                (InvocationOutcome::Succeeded, out.result.as_deref(), None)
            }
            InvocationStatus::Failed => (InvocationOutcome::Failed, None, out.error.as_ref()),
            _ => (InvocationOutcome::Pending, None, None),
        },
        Err(_) => (InvocationOutcome::Retry, None, None),
    };
    shared.host.invocation_ended(&InvocationEndInfo {
        execution_arn: &shared.arn,
        outcome,
        result,
        error,
    });
    match answer {
        Ok(output) => serde_json::to_value(output)
            .map_err(|e| Error::new("DurableExecution.Serialization", e.to_string())),
        Err(Ended::Error(e)) => Err(e),
        Err(Ended::Panic(panic)) => std::panic::resume_unwind(panic),
    }
}

/// An invocation that did not answer the service: its error, or the handler's panic (resumed
/// once the plugins are told).
enum Ended {
    Error(Error),
    Panic(Box<dyn std::any::Any + Send>),
}

/// Runs `handler` on the root context until it returns or suspends: the invocation's answer.
async fn run<T, R, F, Fut>(
    shared: Arc<Shared>,
    input: T,
    handler: F,
) -> Result<InvocationOutput, Ended>
where
    R: Serialize,
    F: FnOnce(T, DurableContext) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    // Told when an operation of the root's scope (the handler's own, not a batch branch's)
    // suspends the handler.
    let suspended = Arc::new(Notify::new());
    let ctx = DurableContext::root(shared, suspended.clone());
    // Built inside the guard: a handler that panics before its first await is caught too.
    let handler =
        std::panic::AssertUnwindSafe(async move { handler(input, ctx).await }).catch_unwind();
    let serialization = |e: serde_json::Error| {
        Ended::Error(Error::new("DurableExecution.Serialization", e.to_string()))
    };
    let output = tokio::select! {
        biased;
        out = handler => match out {
            Err(panic) => return Err(Ended::Panic(panic)),
            Ok(Ok(result)) => InvocationOutput {
                status: InvocationStatus::Succeeded,
                result: Some(serde_json::to_string(&result).map_err(serialization)?),
                error: None,
            },
            Ok(Err(e)) if e.error_type() == super::SERVICE_ERROR => return Err(Ended::Error(e)),
            Ok(Err(e)) => InvocationOutput {
                status: InvocationStatus::Failed,
                result: None,
                error: Some(super::error_object(&e)),
            },
        },
        () = suspended.notified() => InvocationOutput {
            status: InvocationStatus::Pending,
            result: None,
            error: None,
        },
    };
    Ok(output)
}

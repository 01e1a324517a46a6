//! Suite 7 (`wait_for_callback`), declared with `#[function(durable)]`: a static name, failures
//! and timeouts caught, inside a child, after a wait and a step, a typed result, heartbeat
//! timeouts and an empty result. The validator completes each callback (or lets it time out).

use std::time::Duration;

use fnkit::durable::{CallbackConfig, DurableContext};
use fnkit::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A submitter with nothing to hand the id to: the validator finds the callback itself.
async fn submit(_callback_id: String) -> Result<(), Error> {
    Ok(())
}

fn heartbeat(seconds: u64) -> CallbackConfig {
    CallbackConfig::default().heartbeat(Duration::from_secs(seconds))
}

/// 7-2: a wait_for_callback named approval.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_2(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    Ok(ctx
        .wait_for_callback("approval", CallbackConfig::default(), submit)
        .await?)
}

/// 7-6: the callback fails; the failure is caught and "recovered" returned.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_6(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let outcome = ctx
        .wait_for_callback::<Value, _, _>(&name, CallbackConfig::default(), submit)
        .await;
    Ok(outcome.unwrap_or_else(|_| "recovered".into()))
}

/// 7-8: a wait_for_callback named by the input inside a child named wrapper.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_8(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let child = |c: DurableContext| async move {
        Ok(
            c.wait_for_callback::<Value, _, _>(&name, CallbackConfig::default(), submit)
                .await?,
        )
    };
    Ok(ctx.run_in_child_context("wrapper", child).await?)
}

/// 7-10: a 1 s wait, a step, then a wait_for_callback.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_10(name: String, ctx: DurableContext) -> Result<Value, Error> {
    ctx.wait("pause", Duration::from_secs(1)).await?;
    let _: Value = ctx
        .step("fixed", |_| async {
            Ok(serde_json::json!({"fixed": "data"}))
        })
        .await?;
    Ok(ctx
        .wait_for_callback(&name, CallbackConfig::default(), submit)
        .await?)
}

/// The payload of 7-11.
#[derive(Deserialize, Serialize)]
struct Decision {
    status: String,
}

/// 7-11: the payload read as an object; returns its status.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_11(name: String, ctx: DurableContext) -> Result<String, Error> {
    let decision: Decision = ctx
        .wait_for_callback(&name, CallbackConfig::default(), submit)
        .await?;
    Ok(decision.status)
}

/// A wait_for_callback timing out when no heartbeat comes for `seconds`.
async fn beating(name: &str, seconds: u64, ctx: DurableContext) -> Result<Value, Error> {
    Ok(ctx
        .wait_for_callback(name, heartbeat(seconds), submit)
        .await?)
}

/// 7-12: a 5 s heartbeat timeout and no heartbeat; the execution fails.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_12(name: String, ctx: DurableContext) -> Result<Value, Error> {
    beating(&name, 5, ctx).await
}

/// 7-13: a 10 s heartbeat timeout kept alive by a heartbeat, then completed.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_13(name: String, ctx: DurableContext) -> Result<Value, Error> {
    beating(&name, 10, ctx).await
}

/// 7-14: a 3 s timeout, caught; returns "timed-out-handled".
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_14(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let config = CallbackConfig::timeout(Duration::from_secs(3));
    let outcome = ctx
        .wait_for_callback::<Value, _, _>(&name, config, submit)
        .await;
    Ok(outcome.unwrap_or_else(|_| "timed-out-handled".into()))
}

/// 7-15: completed with no payload; returns null.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_15(name: String, ctx: DurableContext) -> Result<Option<Value>, Error> {
    Ok(ctx
        .wait_for_callback(&name, CallbackConfig::default(), submit)
        .await?)
}

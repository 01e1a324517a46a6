//! Suite 6 (wait_for_condition): one handler per requirement, `c6_<n>` for 6-<n>, written from
//! each YAML's prose with `#[function(durable)]` and `DurableContext::wait_for_condition`.

use std::time::Duration;

use fnkit::durable::{Condition, DurableContext, DurableError, Serdes};
use fnkit::prelude::*;
use serde_json::{json, Value};

/// Counts from `start` by one per attempt until `target`, polling every `delay` seconds.
async fn count_to(
    ctx: &DurableContext,
    name: &str,
    start: u64,
    target: u64,
    delay: u64,
) -> Result<u64, DurableError> {
    let condition =
        Condition::until(start, move |n| *n >= target).every(Duration::from_secs(delay));
    ctx.wait_for_condition(name, condition, |n, _| async move { Ok(n + 1) })
        .await
}

/// 6-1: counts from 0 to the input.
#[function(durable, timeout = "60s")]
async fn c6_1(target: u64, ctx: DurableContext) -> Result<u64, Error> {
    Ok(count_to(&ctx, "count", 0, target, 1).await?)
}

/// 6-2: the initial state 5 already satisfies the condition.
#[function(durable, timeout = "60s")]
async fn c6_2(_input: Value, ctx: DurableContext) -> Result<u64, Error> {
    let condition = Condition::until(5u64, |n| *n >= 5).every(Duration::from_secs(1));
    let check = |n, _| async move { Ok(n) };
    Ok(ctx.wait_for_condition("met", condition, check).await?)
}

/// 6-3: the operation named `poll-status` counts to the input.
#[function(durable, timeout = "60s")]
async fn c6_3(target: u64, ctx: DurableContext) -> Result<u64, Error> {
    Ok(count_to(&ctx, "poll-status", 0, target, 1).await?)
}

/// 6-4: counts from 5 to the input.
#[function(durable, timeout = "60s")]
async fn c6_4(target: u64, ctx: DurableContext) -> Result<u64, Error> {
    Ok(count_to(&ctx, "count", 5, target, 1).await?)
}

/// 6-5: counts to the input, polling every 2 s.
#[function(durable, timeout = "60s")]
async fn c6_5(target: u64, ctx: DurableContext) -> Result<u64, Error> {
    Ok(count_to(&ctx, "count", 0, target, 2).await?)
}

/// 6-6: never satisfied; the third attempt fails the operation and the execution.
#[function(durable, timeout = "60s")]
async fn c6_6(_input: Value, ctx: DurableContext) -> Result<u64, Error> {
    let condition = Condition::until(0u64, |_| false)
        .every(Duration::from_secs(1))
        .max_attempts(3);
    let check = |n, _| async move { Ok(n + 1) };
    Ok(ctx.wait_for_condition("never", condition, check).await?)
}

/// The check of 6-7 and 6-8: fails on its first poll.
async fn broken(_state: u64) -> Result<u64, Error> {
    Err(Error::new("RuntimeError", "the check failed"))
}

/// 6-7: the check fails on its first poll, and so does the execution.
#[function(durable, timeout = "60s")]
async fn c6_7(_input: Value, ctx: DurableContext) -> Result<u64, Error> {
    let condition = Condition::until(0u64, |_| true).every(Duration::from_secs(1));
    Ok(ctx
        .wait_for_condition("broken", condition, |n, _| broken(n))
        .await?)
}

/// 6-8: the check fails; the handler recovers.
#[function(durable, timeout = "60s")]
async fn c6_8(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    let condition = Condition::until(0u64, |_| true).every(Duration::from_secs(1));
    match ctx
        .wait_for_condition("broken", condition, |n, _| broken(n))
        .await
    {
        Ok(n) => Ok(n.to_string()),
        Err(_) => Ok("recovered".into()),
    }
}

/// 6-9: an object state, DONE after 2 attempts.
#[function(durable, timeout = "60s")]
async fn c6_9(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let initial = json!({"status": "PENDING", "attempts": 0});
    let condition =
        Condition::until(initial, |s| s["status"] != "PENDING").every(Duration::from_secs(1));
    let check = |state: Value, _| async move {
        let attempts = state["attempts"].as_u64().unwrap_or(0) + 1;
        let status = if attempts >= 2 { "DONE" } else { "PENDING" };
        Ok(json!({"status": status, "attempts": attempts}))
    };
    Ok(ctx.wait_for_condition("object", condition, check).await?)
}

/// 6-10: the check returns null; polling stops at once and the result is null.
#[function(durable, timeout = "60s")]
async fn c6_10(_input: Value, ctx: DurableContext) -> Result<Option<u64>, Error> {
    let condition = Condition::until(Some(0u64), |_| true).every(Duration::from_secs(1));
    let check = |_, _| async { Ok(None) };
    Ok(ctx.wait_for_condition("nothing", condition, check).await?)
}

/// Keeps a string state reversed in checkpoints.
#[derive(Debug)]
struct Reversed;

impl Serdes for Reversed {
    fn serialize(&self, value: Value) -> Result<String, Error> {
        let text = value.as_str().unwrap_or_default();
        Ok(Value::from(text.chars().rev().collect::<String>()).to_string())
    }

    fn deserialize(&self, text: &str) -> Result<Value, Error> {
        let stored: String = serde_json::from_str(text)?;
        Ok(Value::from(stored.chars().rev().collect::<String>()))
    }
}

/// 6-11: a string state through a custom serdes, until it is 2 long.
#[function(durable, timeout = "60s")]
async fn c6_11(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    let condition = Condition::until(String::new(), |s: &String| s.len() >= 2)
        .every(Duration::from_secs(1))
        .serdes(Reversed);
    let check = |s: String, _| async move { Ok(s + "x") };
    Ok(ctx.wait_for_condition("grow", condition, check).await?)
}

/// 6-12: counts to the input, then a step multiplies by 10.
#[function(durable, timeout = "60s")]
async fn c6_12(target: u64, ctx: DurableContext) -> Result<u64, Error> {
    let count = count_to(&ctx, "count", 0, target, 1).await?;
    Ok(ctx
        .step("times-ten", |_| async move { Ok(count * 10) })
        .await?)
}

/// 6-13: counts to 2, then from there to 4.
#[function(durable, timeout = "60s")]
async fn c6_13(_input: Value, ctx: DurableContext) -> Result<u64, Error> {
    let first = count_to(&ctx, "first", 0, 2, 1).await?;
    Ok(count_to(&ctx, "second", first, 4, 1).await?)
}

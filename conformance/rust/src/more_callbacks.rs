//! Suite 4 (callbacks), declared with `#[function(durable)]`: heartbeat timeouts, a step or a
//! wait between creating a callback and awaiting it, failures and timeouts caught, results read
//! into typed values, and two callbacks awaited in either order. The validator completes (or
//! lets time out) each callback by its name, which is the execution's input.

use std::time::Duration;

use fnkit::durable::{Callback, CallbackConfig, DurableContext};
use fnkit::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

fn heartbeat(seconds: u64) -> CallbackConfig {
    CallbackConfig::default().heartbeat(Duration::from_secs(seconds))
}

/// 4-4: a 5 s heartbeat timeout and no heartbeat: the callback times out, the execution fails.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_4(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let callback: Callback<Value> = ctx.create_callback(&name, heartbeat(5)).await?;
    Ok(callback.result().await?)
}

/// 4-5: a 10 s heartbeat timeout kept alive by a heartbeat, then completed.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_5(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let callback: Callback<Value> = ctx.create_callback(&name, heartbeat(10)).await?;
    Ok(callback.result().await?)
}

/// A callback, a step, then the callback's result (its failure or timeout, not caught).
async fn step_between(
    name: &str,
    config: CallbackConfig,
    ctx: DurableContext,
) -> Result<Value, Error> {
    let callback: Callback<Value> = ctx.create_callback(name, config).await?;
    let _: String = ctx
        .step("between", |_| async { Ok("between".to_owned()) })
        .await?;
    Ok(callback.result().await?)
}

/// 4-7: a callback, a step, then the callback's failure, not caught.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_7(name: String, ctx: DurableContext) -> Result<Value, Error> {
    step_between(&name, CallbackConfig::default(), ctx).await
}

/// 4-8: a callback timing out after 5 s, a step, then the timeout, not caught.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_8(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let config = CallbackConfig::timeout(Duration::from_secs(5));
    step_between(&name, config, ctx).await
}

/// 4-11: a 3 s callback timeout falls during a 6 s wait; then the callback's timeout.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_11(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let config = CallbackConfig::timeout(Duration::from_secs(3));
    let callback: Callback<Value> = ctx.create_callback(&name, config).await?;
    ctx.wait("pause", Duration::from_secs(6)).await?;
    Ok(callback.result().await?)
}

/// 4-13 and 4-14: the callback fails (or times out after 3 s), caught; then a 2 s wait.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_13(name: String, ctx: DurableContext) -> Result<String, Error> {
    let config = CallbackConfig::timeout(Duration::from_secs(3));
    let callback: Callback<Value> = ctx.create_callback(&name, config).await?;
    let message = match callback.result().await {
        Ok(value) => value.to_string(),
        Err(e) => format!("callback failed: {e}"),
    };
    ctx.wait("pause", Duration::from_secs(2)).await?;
    Ok(message)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads an RFC 3339 UTC timestamp (`2026-01-01T00:00:00.000Z`) as seconds since the epoch.
fn epoch_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let text = String::deserialize(d)?;
    let bad = || serde::de::Error::custom(format!("not a UTC timestamp: {text}"));
    let field = |range: std::ops::Range<usize>| -> Result<i64, D::Error> {
        text.get(range).and_then(|t| t.parse().ok()).ok_or_else(bad)
    };
    if !text.ends_with('Z') || text.get(10..11) != Some("T") {
        return Err(bad());
    }
    let days = days_from_civil(field(0..4)?, field(5..7)?, field(8..10)?);
    Ok(days * 86_400 + field(11..13)? * 3600 + field(14..16)? * 60 + field(17..19)?)
}

/// The callback's payload of 4-15, its timestamp read as epoch seconds.
#[derive(Deserialize, Serialize)]
struct Received {
    id: String,
    message: String,
    #[serde(deserialize_with = "epoch_seconds")]
    timestamp: i64,
}

/// 4-15: the callback's JSON read into a typed value, its timestamp turned into seconds.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_15(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let callback: Callback<Received> = ctx
        .create_callback(&name, CallbackConfig::default())
        .await?;
    Ok(json!({"received": callback.result().await?}))
}

/// 4-16: the callback's payload read as a number; returns it and its double.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_16(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let callback: Callback<i64> = ctx
        .create_callback(&name, CallbackConfig::default())
        .await?;
    let count = callback.result().await?;
    Ok(json!({"count": count, "doubled": count * 2}))
}

/// Callbacks A and B, named by the input, both created before either is awaited.
async fn two(names: &[String], ctx: &DurableContext) -> Result<[Callback<Value>; 2], Error> {
    let [a, b] = names else {
        return Err(Error::new("BadInput", "two callback names expected"));
    };
    let a = ctx.create_callback(a, CallbackConfig::default()).await?;
    let b = ctx.create_callback(b, CallbackConfig::default()).await?;
    Ok([a, b])
}

/// 4-18: callbacks A and B created, then A's result, then B's.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_18(names: Vec<String>, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let [a, b] = two(&names, &ctx).await?;
    let first = a.result().await?;
    Ok(vec![first, b.result().await?])
}

/// 4-19: callbacks A and B created, then B's result, then A's.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c4_19(names: Vec<String>, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let [a, b] = two(&names, &ctx).await?;
    let second = b.result().await?;
    Ok(vec![a.result().await?, second])
}

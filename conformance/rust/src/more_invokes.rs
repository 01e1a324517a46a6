//! Suite 5 (chained invokes), declared with `#[function(durable)]`: a failure caught (and
//! replayed), a large payload, invokes next to steps, in a child, one after another, and a
//! payload or result read through its own serde. The targets are `target_echo` and
//! `target_fail` (`suites_3_to_7.rs`).

use std::time::Duration;

use fnkit::durable::DurableContext;
use fnkit::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

const ECHO: &str = "target_echo:$LATEST";
const FAILING: &str = "target_fail:$LATEST";

/// 5-6: the target fails; the failure is caught and a fallback returned.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_6(input: Value, ctx: DurableContext) -> Result<String, Error> {
    match ctx.invoke::<_, Value>("fail", FAILING, &input).await {
        Ok(_) => Err(Error::new("Unexpected", "the failing target succeeded")),
        Err(_) => Ok("fallback".to_owned()),
    }
}

/// 5-7: a payload near the limit (200 KB) echoed back; returns its length.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_7(_input: Value, ctx: DurableContext) -> Result<usize, Error> {
    let payload = serde_json::json!({"data": "x".repeat(200_000)});
    let result: Value = ctx.invoke("large", ECHO, &payload).await?;
    Ok(result["data"].as_str().map_or(0, str::len))
}

/// 5-10: a failed invoke caught, then a 1 s wait; the replay re-raises the recorded failure.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_10(_input: Value, ctx: DurableContext) -> Result<&'static str, Error> {
    if ctx
        .invoke::<_, Value>("fail", FAILING, &Value::Null)
        .await
        .is_ok()
    {
        return Err(Error::new("Unexpected", "the failing target succeeded"));
    }
    ctx.wait("pause", Duration::from_secs(1)).await?;
    Ok("done")
}

/// 5-11: a step, then an invoke with its result.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_11(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let value: String = ctx
        .step("make", |_| async { Ok("from the step".to_owned()) })
        .await?;
    Ok(ctx.invoke("echo", ECHO, &value).await?)
}

/// 5-12: an invoke, then a step with its result.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_12(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let value: Value = ctx.invoke("echo", ECHO, &"from the target").await?;
    Ok(ctx.step("use", |_| async move { Ok(value) }).await?)
}

/// 5-13: an invoke inside a child context; the child returns its result.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_13(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let child = |c: DurableContext| async move {
        Ok(c.invoke::<_, Value>("echo", ECHO, &"in the child").await?)
    };
    Ok(ctx.run_in_child_context("child", child).await?)
}

/// 5-14: two invokes, one after the other.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_14(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let first: Value = ctx.invoke("first", ECHO, &"first").await?;
    let second: Value = ctx.invoke("second", ECHO, &"second").await?;
    Ok(vec![first, second])
}

/// A JSON value whose serialization upper-cases its object's string fields: 5-15's payload
/// serde.
struct UpperFields(Value);

impl Serialize for UpperFields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut value = self.0.clone();
        if let Value::Object(fields) = &mut value {
            for field in fields.values_mut() {
                if let Value::String(text) = field {
                    *text = text.to_uppercase();
                }
            }
        }
        value.serialize(s)
    }
}

/// 5-15: the payload goes out through a serde that upper-cases its string fields.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_15(input: Value, ctx: DurableContext) -> Result<Value, Error> {
    Ok(ctx.invoke("echo", ECHO, &UpperFields(input)).await?)
}

/// A result read as its JSON text in upper case: 5-16's result serde.
struct UpperText(String);

impl<'de> Deserialize<'de> for UpperText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(|v| UpperText(v.to_string().to_uppercase()))
    }
}

/// 5-16: the result is read through a serde that upper-cases its JSON text.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_16(input: Value, ctx: DurableContext) -> Result<String, Error> {
    let result: UpperText = ctx.invoke("echo", ECHO, &input).await?;
    Ok(result.0)
}

//! Suite 1 (steps), declared with `#[function(durable)]`: a result checkpointed through its own
//! serde, a failure replayed from its record, the default and a custom retry strategy. The
//! retry helper is shared with the other `more_*` files.

use std::time::Duration;

use fnkit::durable::retry::Jitter;
use fnkit::durable::{DurableContext, Retry, StepConfig, StepContext};
use fnkit::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// `attempts` in all, `delay` seconds before the second, multiplied by `backoff`, no jitter.
pub(crate) fn retries(attempts: u32, delay: u64, backoff: f64) -> StepConfig {
    let retry = Retry::exponential()
        .max_attempts(attempts)
        .initial(Duration::from_secs(delay))
        .backoff(backoff)
        .jitter(Jitter::None);
    StepConfig::default().retry(retry)
}

/// A string whose serialization is upper case: the custom serdes of 1-6, as Rust spells one
/// (the type's own `Serialize`); it reads back as written.
struct Shouted(String);

impl Serialize for Shouted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_uppercase())
    }
}

impl<'de> Deserialize<'de> for Shouted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Shouted)
    }
}

/// 1-6: a step returns the input through a serde that upper-cases it (checkpoint and result).
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_6(input: String, ctx: DurableContext) -> Result<Shouted, Error> {
    Ok(ctx
        .step("shout", |_| async move { Ok(Shouted(input)) })
        .await?)
}

/// 1-10: a step fails for good and is caught, then a 1 s wait; the replay re-raises the
/// recorded failure without running the step.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_10(_input: Value, ctx: DurableContext) -> Result<&'static str, Error> {
    let fail = |_| async { Err::<String, _>(Error::new("Permanent", "permanent failure")) };
    let config = StepConfig::default().retry(Retry::none());
    if ctx.step_with("fail", config, fail).await.is_ok() {
        return Err(Error::new("Unexpected", "the failing step succeeded"));
    }
    ctx.wait("pause", Duration::from_secs(1)).await?;
    Ok("recovered")
}

/// Fails the first two attempts and succeeds on the third.
async fn third_time(step: StepContext) -> Result<String, Error> {
    if step.attempt < 3 {
        let message = format!("attempt {} fails", step.attempt);
        return Err(Error::new("Flaky", message));
    }
    Ok("third time".to_owned())
}

/// 1-13: fails twice, succeeds on the third attempt, with the default retry strategy.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_13(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    Ok(ctx.step("flaky", third_time).await?)
}

/// 1-14: fails twice then succeeds; 5 attempts, 2 s initial delay, backoff 3, no jitter.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_14(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    Ok(ctx
        .step_with("flaky", retries(5, 2, 3.0), third_time)
        .await?)
}

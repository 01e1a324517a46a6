//! Durable handlers written with `fnkit::durable`, one per requirement of AWS's durable
//! conformance suite (`aws-durable-execution-conformance-tests` 1.0.0), named `c<suite>_<n>`
//! after the requirement (`c1_11` is 1-11) and written from each YAML's prose.
//! `scripts/durable-conformance.sh` serves them (`functions.json`) and runs the suite's validator
//! on them (`requirements.json`); the requirements without a handler yet are listed there with
//! their reasons.

use std::time::Duration;

use fnkit::durable::{execute, Retry, StepConfig};
use fnkit::prelude::*;
use serde_json::{json, Value};

/// 1-1: a step greets the input.
#[function]
async fn c1_1(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |name: String, ctx| async move {
        Ok(ctx
            .step("greet", |_| async move { Ok(format!("Hello, {name}!")) })
            .await?)
    })
    .await
}

/// 1-2: a step with an explicit name.
#[function]
async fn c1_2(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |name: String, ctx| async move {
        let greet = |_| async move { Ok(format!("Hello, {name}!")) };
        Ok(ctx.step("custom_step_name", greet).await?)
    })
    .await
}

/// 1-3: the second step uses the first's result.
#[function]
async fn c1_3(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let first: String = ctx
            .step("first", |_| async { Ok("first".to_owned()) })
            .await?;
        Ok(ctx
            .step("second", |_| async move { Ok(format!("{first}_second")) })
            .await?)
    })
    .await
}

/// 1-4: a step returns a nested object.
#[function]
async fn c1_4(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |user: Value, ctx| async move {
        let count = user["tags"].as_array().map_or(0, Vec::len);
        Ok(ctx
            .step("nested", |_| async move {
                Ok(json!({"user": user, "count": count}))
            })
            .await?)
    })
    .await
}

/// 1-5: a step returns null.
#[function]
async fn c1_5(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let nothing: Option<String> = ctx.step("nothing", |_| async { Ok(None) }).await?;
        Ok(nothing)
    })
    .await
}

/// 1-8: a step, then a 2 s wait; replay skips the step.
#[function]
async fn c1_8(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let value: String = ctx
            .step("compute", |_| async { Ok("computed".to_owned()) })
            .await?;
        ctx.wait("pause", Duration::from_secs(2)).await?;
        Ok(value)
    })
    .await
}

/// 1-9: a step, then a 1 s wait; the result comes from its checkpoint on replay.
#[function]
async fn c1_9(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let value: String = ctx
            .step("cache", |_| async { Ok("cached_value".to_owned()) })
            .await?;
        ctx.wait("pause", Duration::from_secs(1)).await?;
        Ok(value)
    })
    .await
}

fn quick(attempts: u32) -> StepConfig {
    let retry = Retry::exponential()
        .max_attempts(attempts)
        .initial(Duration::from_secs(1))
        .backoff(1.0)
        .jitter(fnkit::durable::retry::Jitter::None);
    StepConfig::default().retry(retry)
}

/// 1-11: fails its first attempt, succeeds on its second (1 s apart).
#[function]
async fn c1_11(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let flaky = |step: fnkit::durable::StepContext| async move {
            if step.attempt == 1 {
                return Err(Error::new("Flaky", "first attempt fails"));
            }
            Ok("Operation succeeded".to_owned())
        };
        Ok(ctx.step_with("flaky", quick(3), flaky).await?)
    })
    .await
}

/// 1-12: always fails, 4 attempts in all.
#[function]
async fn c1_12(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let fail = |_| async { Err::<String, _>(Error::new("Broken", "always fails")) };
        Ok(ctx.step_with("broken", quick(4), fail).await?)
    })
    .await
}

/// 1-19: always fails, no retry.
#[function]
async fn c1_19(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let fail = |_| async { Err::<String, _>(Error::new("Broken", "always fails")) };
        let config = StepConfig::default().retry(Retry::none());
        Ok(ctx.step_with("broken", config, fail).await?)
    })
    .await
}

/// 1-20: a failing step caught; a second step runs.
#[function]
async fn c1_20(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let fail = |_| async { Err::<String, _>(Error::new("Broken", "fails")) };
        let config = StepConfig::default().retry(Retry::none());
        let value = match ctx.step_with("failing", config, fail).await {
            Ok(v) => v,
            Err(_) => "fallback_result".to_owned(),
        };
        Ok(ctx.step("fallback", |_| async move { Ok(value) }).await?)
    })
    .await
}

/// 2-1: one 2 s wait.
#[function]
async fn c2_1(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        ctx.wait("wait", Duration::from_secs(2)).await?;
        Ok(())
    })
    .await
}

/// 2-2: a 2 s wait named custom_wait_name.
#[function]
async fn c2_2(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        ctx.wait("custom_wait_name", Duration::from_secs(2)).await?;
        Ok(())
    })
    .await
}

/// 2-3: two 2 s waits.
#[function]
async fn c2_3(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        ctx.wait("wait-1", Duration::from_secs(2)).await?;
        ctx.wait("wait-2", Duration::from_secs(2)).await?;
        Ok(json!({"completedWaits": 2}))
    })
    .await
}

/// 2-4: a one-minute wait.
#[function]
async fn c2_4(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        ctx.wait("minute", Duration::from_secs(60)).await?;
        Ok(())
    })
    .await
}

/// 2-5: a one-hour wait.
#[function]
async fn c2_5(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        ctx.wait("hour", Duration::from_secs(3600)).await?;
        Ok(())
    })
    .await
}

mod batches;
mod conditions;
mod maps;
mod more_callbacks;
mod more_children;
mod more_invokes;
mod more_steps;
mod more_wfc;
mod plugins;
mod sdk_features;
mod suites_3_to_7;

fn main() {
    fnkit::run()
}

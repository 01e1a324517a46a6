//! Suite 3 (child contexts), declared with `#[function(durable)]`: a named child, retries
//! inside a child, a child that fails or returns null without any operation, and operations
//! mixed inside and after a child.

use std::time::Duration;

use fnkit::durable::{DurableContext, StepContext};
use fnkit::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::more_steps::retries;

/// The input of 3-2.
#[derive(Deserialize)]
struct Named {
    name: String,
    value: String,
}

/// 3-2: a child named by the input, its step returning the input's value.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_2(input: Named, ctx: DurableContext) -> Result<String, Error> {
    let value = input.value;
    let child =
        |c: DurableContext| async move { Ok(c.step("value", |_| async move { Ok(value) }).await?) };
    Ok(ctx.run_in_child_context(&input.name, child).await?)
}

/// 3-7: the child's step fails its first attempt and returns the input on its retry (1 s).
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_7(input: String, ctx: DurableContext) -> Result<String, Error> {
    let child = |c: DurableContext| async move {
        let flaky = |step: StepContext| async move {
            if step.attempt == 1 {
                return Err(Error::new("Flaky", "first attempt fails"));
            }
            Ok(input)
        };
        Ok(c.step_with("flaky", retries(3, 1, 2.0), flaky).await?)
    };
    Ok(ctx.run_in_child_context("child", child).await?)
}

/// 3-8: the child's step always fails; its 2 attempts run out and the child fails.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_8(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    let child = |c: DurableContext| async move {
        let fail = |_| async { Err::<String, _>(Error::new("Broken", "always fails")) };
        Ok(c.step_with("fail", retries(2, 1, 2.0), fail).await?)
    };
    Ok(ctx.run_in_child_context("child", child).await?)
}

/// 3-15: the child fails without any operation.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_15(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    let child = |_c: DurableContext| async move {
        Err::<String, _>(Error::new("ChildFailed", "child failed directly"))
    };
    Ok(ctx.run_in_child_context("child", child).await?)
}

/// 3-16: the child returns null without any operation.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_16(_input: Value, ctx: DurableContext) -> Result<Option<String>, Error> {
    let child = |_c: DurableContext| async move { Ok(None) };
    Ok(ctx.run_in_child_context("child", child).await?)
}

/// 3-18: a step and a 1 s wait in a child, then a step and a 1 s wait after it.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_18(input: String, ctx: DurableContext) -> Result<String, Error> {
    let inner = input.clone();
    let child = |c: DurableContext| async move {
        let value: String = c.step("inner", |_| async move { Ok(inner) }).await?;
        c.wait("inner-pause", Duration::from_secs(1)).await?;
        Ok(value)
    };
    let value: String = ctx.run_in_child_context("child", child).await?;
    let _: String = ctx.step("outer", |_| async move { Ok(input) }).await?;
    ctx.wait("outer-pause", Duration::from_secs(1)).await?;
    Ok(value)
}

//! The handlers of suites 3 (child contexts), 4 (callbacks), 5 (invokes) and 7
//! (wait_for_callback), named as in `main.rs`.

use std::time::Duration;

use fnkit::durable::{execute, Callback, CallbackConfig, DurableContext, Retry, StepConfig};
use fnkit::prelude::*;
use serde_json::Value;

fn no_retry() -> StepConfig {
    StepConfig::default().retry(Retry::none())
}

fn broken() -> Error {
    Error::new("Broken", "fails")
}

/// 3-1: a child context with one step returning the input.
#[function]
async fn c3_1(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: String, ctx| async move {
        let child = |c: DurableContext| async move {
            Ok(c.step("echo", |_| async move { Ok(input) }).await?)
        };
        Ok(ctx
            .run_in_child_context::<String, _, _>("child", child)
            .await?)
    })
    .await
}

/// 3-3: two steps in a child, the second taking the first's result.
#[function]
async fn c3_3(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: String, ctx| async move {
        let child = |c: DurableContext| async move {
            let first: String = c.step("first", |_| async move { Ok(input) }).await?;
            Ok(c.step("second", |_| async move { Ok(first) }).await?)
        };
        Ok(ctx
            .run_in_child_context::<String, _, _>("child", child)
            .await?)
    })
    .await
}

/// 3-4: the child's step fails with no retry; the execution fails.
#[function]
async fn c3_4(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let child = |c: DurableContext| async move {
            Ok(
                c.step_with("fail", no_retry(), |_| async { Err::<String, _>(broken()) })
                    .await?,
            )
        };
        Ok(ctx
            .run_in_child_context::<String, _, _>("child", child)
            .await?)
    })
    .await
}

/// 3-5: the child fails, the parent catches it and a recovery step runs.
#[function]
async fn c3_5(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: String, ctx| async move {
        let child = |c: DurableContext| async move {
            Ok(
                c.step_with("fail", no_retry(), |_| async { Err::<String, _>(broken()) })
                    .await?,
            )
        };
        let _ = ctx
            .run_in_child_context::<String, _, _>("child", child)
            .await;
        Ok(ctx.step("recover", |_| async move { Ok(input) }).await?)
    })
    .await
}

/// 3-6: a child within a child, each with a step.
#[function]
async fn c3_6(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: String, ctx| async move {
        let outer = |c: DurableContext| async move {
            let again = input.clone();
            c.step("outer-step", |_| async move { Ok(again) }).await?;
            let inner = |i: DurableContext| async move {
                Ok(i.step("inner-step", |_| async move { Ok(input) }).await?)
            };
            Ok(c.run_in_child_context::<String, _, _>("inner", inner)
                .await?)
        };
        Ok(ctx
            .run_in_child_context::<String, _, _>("outer", outer)
            .await?)
    })
    .await
}

/// 3-9: a child, then a wait; the child's result is replayed.
#[function]
async fn c3_9(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: String, ctx| async move {
        let child = |c: DurableContext| async move {
            Ok(c.step("echo", |_| async move { Ok(input) }).await?)
        };
        let value: String = ctx.run_in_child_context("child", child).await?;
        ctx.wait("pause", Duration::from_secs(1)).await?;
        Ok(value)
    })
    .await
}

/// 3-10: a step and a wait inside a child.
#[function]
async fn c3_10(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: String, ctx| async move {
        let child = |c: DurableContext| async move {
            let value: String = c.step("echo", |_| async move { Ok(input) }).await?;
            c.wait("pause", Duration::from_secs(1)).await?;
            Ok(value)
        };
        Ok(ctx
            .run_in_child_context::<String, _, _>("child", child)
            .await?)
    })
    .await
}

/// 3-13: a child with only a wait, then a step outside it.
#[function]
async fn c3_13(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: String, ctx| async move {
        let again = input.clone();
        let child = |c: DurableContext| async move {
            c.wait("pause", Duration::from_secs(1)).await?;
            Ok(again)
        };
        ctx.run_in_child_context::<String, _, _>("child", child)
            .await?;
        Ok(ctx.step("after", |_| async move { Ok(input) }).await?)
    })
    .await
}

/// 4-1, 4-6: a callback named by the input; returns what it is completed with (or fails).
#[function]
async fn c4_1(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |name: String, ctx| async move {
        let callback: Callback<Value> = ctx
            .create_callback(&name, CallbackConfig::default())
            .await?;
        Ok(callback.result().await?)
    })
    .await
}

/// 4-2: a callback named approval.
#[function]
async fn c4_2(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let callback: Callback<Value> = ctx
            .create_callback("approval", CallbackConfig::default())
            .await?;
        Ok(callback.result().await?)
    })
    .await
}

/// 4-3: a 5 s timeout nobody beats.
#[function]
async fn c4_3(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |name: String, ctx| async move {
        let config = CallbackConfig::timeout(Duration::from_secs(5));
        let callback: Callback<Value> = ctx.create_callback(&name, config).await?;
        Ok(callback.result().await?)
    })
    .await
}

/// 4-9: the callback completes during a 5 s wait.
#[function]
async fn c4_9(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |name: String, ctx| async move {
        let callback: Callback<Value> = ctx
            .create_callback(&name, CallbackConfig::default())
            .await?;
        ctx.wait("pause", Duration::from_secs(5)).await?;
        Ok(callback.result().await?)
    })
    .await
}

/// 4-12: a callback's result, then a 2 s wait.
#[function]
async fn c4_12(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |name: String, ctx| async move {
        let callback: Callback<Value> = ctx
            .create_callback(&name, CallbackConfig::default())
            .await?;
        let value = callback.result().await?;
        ctx.wait("pause", Duration::from_secs(2)).await?;
        Ok(value)
    })
    .await
}

/// 4-17: callback A's result, then callback B's.
#[function]
async fn c4_17(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |names: Vec<String>, ctx| async move {
        let a: Callback<Value> = ctx
            .create_callback(&names[0], CallbackConfig::default())
            .await?;
        let first = a.result().await?;
        let b: Callback<Value> = ctx
            .create_callback(&names[1], CallbackConfig::default())
            .await?;
        Ok(vec![first, b.result().await?])
    })
    .await
}

/// The target of suite 5: returns its input through a step.
#[function]
async fn target_echo(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: Value, ctx| async move {
        Ok(ctx.step("echo", |_| async move { Ok(input) }).await?)
    })
    .await
}

/// A target that fails.
#[function]
async fn target_fail(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, _ctx| async move {
        Err::<Value, _>(Error::new("TargetFailed", "the target failed"))
    })
    .await
}

/// 5-1, 5-3, 5-4: invokes the echo target with the input.
#[function]
async fn c5_1(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: Value, ctx| async move {
        Ok(ctx
            .invoke::<_, Value>("echo", "target_echo:$LATEST", &input)
            .await?)
    })
    .await
}

/// 5-2: a named invoke.
#[function]
async fn c5_2(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: Value, ctx| async move {
        let name = input["name"].as_str().unwrap_or("invoke").to_owned();
        Ok(ctx
            .invoke::<_, Value>(&name, "target_echo:$LATEST", &input["payload"])
            .await?)
    })
    .await
}

/// 5-5: the target fails; so does the execution.
#[function]
async fn c5_5(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |input: Value, ctx| async move {
        Ok(ctx
            .invoke::<_, Value>("fail", "target_fail:$LATEST", &input)
            .await?)
    })
    .await
}

/// 5-9: an invoke, then a wait; the result is replayed.
#[function]
async fn c5_9(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let value: Value = ctx.invoke("echo", "target_echo:$LATEST", &"cached").await?;
        ctx.wait("pause", Duration::from_secs(1)).await?;
        Ok(value)
    })
    .await
}

/// 7-1, 7-4: a wait_for_callback named by the input.
#[function]
async fn c7_1(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |name: String, ctx| async move {
        let submit = |_id: String| async { Ok(()) };
        Ok(ctx
            .wait_for_callback::<Value, _, _>(&name, CallbackConfig::default(), submit)
            .await?)
    })
    .await
}

/// 7-5: a 3 s timeout; the execution fails.
#[function]
async fn c7_5(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |name: String, ctx| async move {
        let submit = |_id: String| async { Ok(()) };
        let config = CallbackConfig::timeout(Duration::from_secs(3));
        Ok(ctx
            .wait_for_callback::<Value, _, _>(&name, config, submit)
            .await?)
    })
    .await
}

/// 7-9: two wait_for_callbacks, first and second.
#[function]
async fn c7_9(envelope: Value) -> Result<Value, Error> {
    execute(envelope, |_: Value, ctx| async move {
        let submit = |_id: String| async { Ok(()) };
        ctx.wait_for_callback::<Value, _, _>("first", CallbackConfig::default(), submit)
            .await?;
        Ok(ctx
            .wait_for_callback::<Value, _, _>("second", CallbackConfig::default(), submit)
            .await?)
    })
    .await
}

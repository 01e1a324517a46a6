//! Requirements that needed more of the SDK: retrying only some errors (1-15, 1-16), an
//! operation without a name (7-3), a retry strategy for wait_for_callback's submitter (7-7), a
//! child context's own serdes (3-14), an invoke for a tenant (5-8), and the replay-aware logger
//! (1-7, 1-17, 1-18, 3-11, 3-17), whose lines the validator reads as CloudWatch Logs; a step's
//! START recorded before its body ends (3-12).

use std::time::Duration;

use fnkit::durable::retry::Jitter;
use fnkit::durable::{
    CallbackConfig, ChildConfig, DurableContext, InvokeConfig, Retry, Serdes, StepConfig,
    StepContext,
};
use fnkit::prelude::*;
use serde::Deserialize;
use serde_json::Value;

/// A failure worth another attempt; `?` names it by its type
/// (`fnkit_conformance::sdk_features::TransientError`).
#[derive(Debug)]
struct TransientError(&'static str);

impl std::fmt::Display for TransientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for TransientError {}

/// 3 attempts, 1 s apart, no jitter.
fn quick() -> Retry {
    Retry::exponential()
        .max_attempts(3)
        .initial(Duration::from_secs(1))
        .jitter(Jitter::None)
}

/// 1-15: the first attempt fails with a `TransientError`, which the strategy retries (1 s
/// later); the second succeeds.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_15(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    let flaky = |step: StepContext| async move {
        if step.attempt == 1 {
            return Err(TransientError("try again").into());
        }
        Ok("recovered".to_owned())
    };
    let retry = quick().only_error_type::<TransientError>();
    let config = StepConfig::default().retry(retry);
    Ok(ctx.step_with("flaky", config, flaky).await?)
}

/// 1-16: a `TransientError` that a strategy retrying only `ValueError`s does not retry: the
/// step fails at its first attempt, and the execution with it.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_16(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    let fail = |_| async { Err::<String, _>(TransientError("not retried").into()) };
    let config = StepConfig::default().retry(quick().only_errors(["ValueError"]));
    Ok(ctx.step_with("fail", config, fail).await?)
}

/// 7-3: a `wait_for_callback` without a name (`""`) and an inline submitter; the callback's
/// payload is the result.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_3(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let submit = |_id: String| async { Ok(()) };
    Ok(ctx
        .wait_for_callback("", CallbackConfig::default(), submit)
        .await?)
}

/// 7-7: `wait_for_callback` named by the input whose submitter always fails: 2 attempts, 1 s
/// apart; then the operation and the execution fail (the callback is never completed).
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c7_7(name: String, ctx: DurableContext) -> Result<Value, Error> {
    let submit = |_id: String| async { Err(Error::new("SubmitFailed", "cannot submit")) };
    let retry = quick().max_attempts(2);
    let config = CallbackConfig::default().submitter_retry(retry);
    Ok(ctx.wait_for_callback(&name, config, submit).await?)
}

/// Writes a string upper-cased and bare (not as JSON) into the checkpoint; reads the text back
/// as it is.
#[derive(Debug)]
struct ShoutedText;

impl Serdes for ShoutedText {
    fn serialize(&self, value: Value) -> Result<String, Error> {
        match value {
            Value::String(s) => Ok(s.to_uppercase()),
            other => Err(Error::new("NotText", format!("{other} is not a string"))),
        }
    }

    fn deserialize(&self, text: &str) -> Result<Value, Error> {
        Ok(Value::from(text))
    }
}

/// 3-14: a child context whose step returns the input; the child's serdes checkpoints its
/// result upper-cased (`HELLO CHILD`), which is the result.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_14(input: String, ctx: DurableContext) -> Result<String, Error> {
    let config = ChildConfig::default().serdes(ShoutedText);
    let body = |child: DurableContext| async move {
        Ok(child.step("echo", |_| async move { Ok(input) }).await?)
    };
    Ok(ctx.run_in_child_context_with("shout", config, body).await?)
}

/// 5-8's input: whom to invoke for, and with what.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForTenant {
    tenant_id: String,
    payload: Value,
}

/// 5-8: invokes `target_echo` with the payload for the input's tenant; returns its result.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c5_8(input: ForTenant, ctx: DurableContext) -> Result<Value, Error> {
    let config = InvokeConfig::default().tenant(input.tenant_id);
    let echo = "target_echo:$LATEST";
    Ok(ctx
        .invoke_with("for-tenant", echo, &input.payload, config)
        .await?)
}

/// 1-7: a step logs through its logger as it starts and ends.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_7(input: String, ctx: DurableContext) -> Result<String, Error> {
    let greet = |step: StepContext| async move {
        step.logger()
            .info(format_args!("Greeting step started for: {input}"));
        let greeting = format!("Hello, {input}!");
        step.logger()
            .info(format_args!("Greeting step completed with: {greeting}"));
        Ok(greeting)
    };
    Ok(ctx.step("greet", greet).await?)
}

/// 1-17: an at-most-once step without retries logs the input, then the process dies; the
/// replay fails the interrupted step without running it again (one line in all).
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_17(input: String, ctx: DurableContext) -> Result<String, Error> {
    let crash = |step: StepContext| async move {
        step.logger().info(format_args!("about to crash: {input}"));
        std::process::exit(1)
    };
    let config = StepConfig::default().at_most_once().retry(Retry::none());
    Ok(ctx
        .step_with("at_most_once_flaky_step", config, crash)
        .await?)
}

/// 1-18: an at-most-once step logs the input on each attempt; the process dies during the
/// first, the interrupted attempt is retried (1 s) and the second succeeds (two lines).
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c1_18(input: String, ctx: DurableContext) -> Result<String, Error> {
    let crash_once = |step: StepContext| async move {
        step.logger()
            .info(format_args!("attempt {}: {input}", step.attempt));
        if step.attempt == 1 {
            std::process::exit(1);
        }
        Ok("succeeded on second attempt".to_owned())
    };
    let config = StepConfig::default().at_most_once().retry(quick());
    Ok(ctx.step_with("crash_once", config, crash_once).await?)
}

/// 3-11: a child logs the input (with replay logging, so its replay is seen), runs a step and
/// builds a result over 256 KiB from it, so its replay runs it again (two lines); then a wait.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_11(input: String, ctx: DurableContext) -> Result<usize, Error> {
    let child = |child: DurableContext| async move {
        let logger = child.logger().with_replay_logging();
        logger.info(format_args!("child running for {input}"));
        let small: String = child
            .step("small", |_| async { Ok("x".to_owned()) })
            .await?;
        Ok(small.repeat(300_000))
    };
    let large: String = ctx.run_in_child_context("large", child).await?;
    ctx.wait("pause", Duration::from_secs(1)).await?;
    Ok(large.len())
}

/// 3-17: a child that only logs (with replay logging) and returns the input, then a wait; the
/// replay returns the child's record without running it (one line).
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_17(input: String, ctx: DurableContext) -> Result<String, Error> {
    let child = |child: DurableContext| async move {
        let logger = child.logger().with_replay_logging();
        logger.info(format_args!("child logging {input}"));
        Ok(input)
    };
    let result: String = ctx.run_in_child_context("logger", child).await?;
    ctx.wait("pause", Duration::from_secs(1)).await?;
    Ok(result)
}

/// 3-12: a child's step returns the input; on the first run its body outlives the time after
/// which a step's START is sent on its own (1 s), then the process dies. The replay runs the
/// STARTED step again and records its success with no second START.
#[function(durable(timeout = "15m", retention = "1d"), timeout = "60s")]
async fn c3_12(input: String, ctx: DurableContext) -> Result<String, Error> {
    let body = |child: DurableContext| async move {
        // Nothing of the child is recorded on the first run; its step is on the replay.
        let first_run = !child.is_replaying();
        let echo = move |_| async move {
            if first_run {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                std::process::exit(1);
            }
            Ok(input)
        };
        Ok(child.step("echo", echo).await?)
    };
    Ok(ctx.run_in_child_context("interrupted", body).await?)
}

//! Durable handlers written with `fnkit::durable` and `#[function(durable)]`, for the tests of
//! the SDK against the emulator (`tests/tests/durable_sdk.rs`); the conformance handlers are in
//! `conformance/rust`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fnkit::durable::plugin::{
    AttemptEndInfo, AttemptInfo, DurablePlugin, InvocationEndInfo, InvocationInfo, OperationInfo,
    Plugins,
};
use fnkit::durable::retry::Jitter;
use fnkit::durable::{BatchConfig, DurableContext, Nesting, Retry, StepConfig};
use fnkit::prelude::*;
use serde_json::Value;

/// Invocations this process has run of `drifting`.
static RUNS: AtomicU32 = AtomicU32::new(0);

/// Names its first step after how many times this process ran it: the replay after the wait
/// asks for another operation than the one recorded, which the SDK must refuse.
#[function(durable)]
async fn drifting(_input: Value, ctx: DurableContext) -> Result<&'static str, Error> {
    let run = RUNS.fetch_add(1, Ordering::SeqCst);
    let name = format!("step-{run}");
    ctx.step(&name, |_| async { Ok(1) }).await?;
    ctx.wait("pause", Duration::from_secs(1)).await?;
    Ok("unreachable on a replay")
}

/// A step, a wait and a step: the ids the SDK gives them.
#[function(durable(timeout = "1h", retention = "1d"))]
async fn three(n: u64, ctx: DurableContext) -> Result<u64, Error> {
    let a: u64 = ctx.step("a", |_| async move { Ok(n + 1) }).await?;
    ctx.wait("w", Duration::from_secs(1)).await?;
    let b: u64 = ctx.step("b", |_| async move { Ok(a * 10) }).await?;
    Ok(b)
}

/// A step that kills its process the first time its body runs (the input names a marker file it
/// creates then); the step's result is the attempt that finished. At least once (`semantics`
/// absent): the interrupted attempt runs again and finishes as attempt 1. At most once: the
/// interrupted attempt counts as failed without running again, and attempt 2 finishes.
#[function(durable, timeout = "10s")]
async fn dies_once(input: Value, ctx: DurableContext) -> Result<u32, Error> {
    let marker = std::path::PathBuf::from(input["marker"].as_str().unwrap_or_default());
    let retry = Retry::exponential()
        .max_attempts(3)
        .initial(Duration::from_secs(1))
        .jitter(Jitter::None);
    let mut config = StepConfig::default().retry(retry);
    if input["semantics"] == "at_most_once" {
        config = config.at_most_once();
    }
    ctx.step_with("charge", config, |step| async move {
        if !marker.exists() {
            std::fs::write(&marker, b"ran").map_err(Error::from)?;
            std::process::abort();
        }
        Ok(step.attempt)
    })
    .await
    .map_err(Error::from)
}

/// Maps `[1, 2, 3]` two at a time, nested as the input's `nesting` says (`"flat"` or not):
/// each item doubles in a step, waits a second (its branch suspends; the batch does when both
/// running branches wait) and adds one in a step. Returns the results in item order.
#[function(durable, timeout = "20s")]
async fn batched(input: Value, ctx: DurableContext) -> Result<Vec<u64>, Error> {
    let nesting = match input["nesting"].as_str() {
        Some("flat") => Nesting::Flat,
        _ => Nesting::Nested,
    };
    let config = BatchConfig::default().max_concurrency(2).nesting(nesting);
    let r = ctx
        .map("items", vec![1u64, 2, 3], config, |ctx, n, _| async move {
            let doubled: u64 = ctx.step("double", |_| async move { Ok(n * 2) }).await?;
            ctx.wait("pause", Duration::from_secs(1)).await?;
            Ok(ctx.step("add", |_| async move { Ok(doubled + 1) }).await?)
        })
        .await?;
    r.throw_if_error()?;
    Ok(r.into_results())
}

/// Runs its branches nested the first time and FLAT on the replay after their wait: the replay
/// finds a branch's context where FLAT code has none, which the SDK must refuse.
#[function(durable, timeout = "20s")]
async fn renested(_input: Value, ctx: DurableContext) -> Result<Vec<u64>, Error> {
    let nesting = match ctx.is_replaying() {
        true => Nesting::Flat,
        false => Nesting::Nested,
    };
    let config = BatchConfig::default().nesting(nesting);
    let r = ctx
        .map("items", vec![1u64], config, |ctx, n, _| async move {
            ctx.wait("pause", Duration::from_secs(1)).await?;
            Ok(n)
        })
        .await?;
    Ok(r.into_results())
}

/// Appends a line per hook to the file the execution's input names (`trace`): the hook, the
/// operation's name, and what the hook says of it.
struct Trace {
    file: std::path::PathBuf,
}

impl Trace {
    fn line(&self, line: String) {
        use std::io::Write as _;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{line}");
        }
    }
}

fn name<'a>(op: &OperationInfo<'a>) -> &'a str {
    op.name.unwrap_or("-")
}

impl DurablePlugin for Trace {
    fn on_invocation_start(&self, info: &InvocationInfo<'_>) {
        self.line(format!(
            "invocation-start first={}",
            info.is_first_invocation
        ));
    }
    fn on_invocation_end(&self, info: &InvocationEndInfo<'_>) {
        self.line(format!("invocation-end {}", info.outcome.as_str()));
    }
    fn on_operation_start(&self, op: &OperationInfo<'_>) {
        self.line(format!(
            "operation-start {} replayed={}",
            name(op),
            op.is_replayed
        ));
    }
    fn on_operation_end(&self, op: &OperationInfo<'_>) {
        self.line(format!("operation-end {} {}", name(op), op.status));
    }
    fn on_attempt_start(&self, info: &AttemptInfo<'_>) {
        let attempt = info.attempt.map_or("-".to_owned(), |n| n.to_string());
        self.line(format!("attempt-start {} {attempt}", name(&info.operation)));
    }
    fn on_attempt_end(&self, info: &AttemptEndInfo<'_>) {
        let op = &info.attempt.operation;
        self.line(format!(
            "attempt-end {} {}",
            name(op),
            info.outcome.as_str()
        ));
    }
}

fn trace() -> Plugins {
    Plugins::default().with(|info: &InvocationInfo<'_>| Trace {
        file: info.input["trace"].as_str().unwrap_or("/dev/null").into(),
    })
}

/// A step, then a child context that waits and runs a step: two invocations, traced.
#[function(durable(plugins = trace), timeout = "10s")]
async fn watched(_input: Value, ctx: DurableContext) -> Result<u32, Error> {
    let a: u32 = ctx.step("a", |_| async { Ok(1) }).await?;
    let b: u32 = ctx
        .run_in_child_context("later", |child| async move {
            child.wait("pause", Duration::from_secs(1)).await?;
            Ok(child.step("b", |_| async { Ok(2) }).await?)
        })
        .await?;
    Ok(a + b)
}

fn main() {
    fnkit::run()
}

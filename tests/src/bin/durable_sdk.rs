//! Durable handlers written with `fnkit::durable` and `#[function(durable)]`, for the tests of
//! the SDK against the emulator (`tests/tests/durable_sdk.rs`); the conformance handlers are in
//! `conformance/rust`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fnkit::durable::DurableContext;
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

fn main() {
    fnkit::run()
}

//! Suite 8 (parallel): handlers `c8_<n>`, written from each YAML's prose, on
//! `DurableContext::parallel`, and the projections suite 9 (`maps.rs`) shares. Branches that
//! fail raise a plain error; the YAMLs leave its type and message open.

use std::time::Duration;

use fnkit::durable::{
    BatchConfig, BatchResult, Branch, CompletionConfig, DurableContext, Nesting, Serdes,
};
use fnkit::prelude::*;
use serde_json::{json, Value};

/// A branch that returns `value` without an inner operation.
fn give(value: Value) -> Branch<'static, Value> {
    Branch::new(move |_| async move { Ok(value) })
}

/// A branch that fails.
fn fail() -> Branch<'static, Value> {
    Branch::new(|_| async { Err(Error::new("RuntimeError", "branch failed")) })
}

/// A branch whose single step returns `value`.
fn step(value: &'static str) -> Branch<'static, Value> {
    Branch::new(move |ctx: DurableContext| async move {
        Ok(ctx.step("", |_| async move { Ok(json!(value)) }).await?)
    })
}

pub(crate) fn one_at_a_time() -> BatchConfig {
    BatchConfig::default().max_concurrency(1)
}

/// The projection the YAMLs expect, with exactly `keys`.
pub(crate) fn project<T>(r: &BatchResult<T>, keys: &[&str]) -> Value {
    let all = json!({
        "completionReason": r.completion_reason,
        "status": r.status(),
        "successCount": r.success_count(),
        "failureCount": r.failure_count(),
        "totalCount": r.total_count(),
    });
    keys.iter()
        .map(|k| (k.to_string(), all[*k].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

pub(crate) const FULL: &[&str] = &[
    "completionReason",
    "status",
    "successCount",
    "failureCount",
    "totalCount",
];
pub(crate) const NO_STATUS: &[&str] = &[
    "completionReason",
    "successCount",
    "failureCount",
    "totalCount",
];

/// 8-1: two branches, each a step.
#[function(durable, timeout = "60s")]
async fn c8_1(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = ctx
        .parallel(
            "parallel",
            vec![step("task-1"), step("task-2")],
            one_at_a_time(),
        )
        .await?;
    Ok(r.into_results())
}

/// 8-2: no name; branches return directly.
#[function(durable, timeout = "60s")]
async fn c8_2(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let r = ctx
        .parallel(
            "",
            vec![give(json!("alpha")), give(json!("beta"))],
            one_at_a_time(),
        )
        .await?;
    Ok(r.into_results())
}

/// 8-3: named branches.
#[function(durable, timeout = "60s")]
async fn c8_3(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let branches = vec![
        Branch::named("first", |_| async { Ok(json!("one")) }),
        Branch::named("second", |_| async { Ok(json!("two")) }),
    ];
    Ok(ctx
        .parallel("named", branches, one_at_a_time())
        .await?
        .into_results())
}

/// 8-4: branches of different types.
#[function(durable, timeout = "60s")]
async fn c8_4(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let branches = vec![
        give(json!("hello")),
        give(json!(42)),
        give(json!({"k": "v"})),
    ];
    Ok(ctx
        .parallel("hetero", branches, one_at_a_time())
        .await?
        .into_results())
}

/// 8-5: no branches.
#[function(durable, timeout = "60s")]
async fn c8_5(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    Ok(ctx
        .parallel("empty", Vec::new(), one_at_a_time())
        .await?
        .into_results())
}

/// Runs `branches` one at a time under `completion` and projects the result onto `keys`.
async fn tolerance(
    ctx: &DurableContext,
    name: &str,
    branches: Vec<Branch<'static, Value>>,
    completion: CompletionConfig,
    keys: &[&str],
) -> Result<Value, Error> {
    let r = ctx
        .parallel(name, branches, one_at_a_time().completion(completion))
        .await?;
    Ok(project(&r, keys))
}

/// 8-6: fail-fast; the third branch never starts.
#[function(durable, timeout = "60s")]
async fn c8_6(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failures(0);
    tolerance(
        &ctx,
        "failfast",
        vec![give(json!("ok")), fail(), give(json!("never"))],
        c,
        FULL,
    )
    .await
}

/// 8-7: fail-fast, and the handler throws the branch's error.
#[function(durable, timeout = "60s")]
async fn c8_7(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let config = one_at_a_time().completion(CompletionConfig::default().tolerated_failures(0));
    let r = ctx
        .parallel("rethrow", vec![fail(), give(json!("never"))], config)
        .await?;
    r.throw_if_error()?;
    Ok(json!(r.into_results()))
}

/// 8-8: two successes are enough.
#[function(durable, timeout = "60s")]
async fn c8_8(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().min_successful(2);
    let branches = (0..4).map(|i| give(json!(format!("r{i}")))).collect();
    tolerance(
        &ctx,
        "min",
        branches,
        c,
        &["completionReason", "successCount", "totalCount"],
    )
    .await
}

/// 8-9: one failure tolerated.
#[function(durable, timeout = "60s")]
async fn c8_9(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failures(1);
    tolerance(
        &ctx,
        "tolerate",
        vec![give(json!("a")), fail(), give(json!("c"))],
        c,
        FULL,
    )
    .await
}

/// 8-10: the second failure is one too many.
#[function(durable, timeout = "60s")]
async fn c8_10(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failures(1);
    tolerance(
        &ctx,
        "exceed",
        vec![fail(), fail(), give(json!("c"))],
        c,
        NO_STATUS,
    )
    .await
}

/// 8-11: three branches, two at a time; results in index order.
#[function(durable, timeout = "60s")]
async fn c8_11(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let branches = (0..3).map(|i| give(json!(format!("r{i}")))).collect();
    let config = BatchConfig::default().max_concurrency(2);
    Ok(ctx
        .parallel("concurrent", branches, config)
        .await?
        .into_results())
}

/// 8-12: FLAT nesting: the branches' steps are the parallel's own children.
#[function(durable, timeout = "60s")]
async fn c8_12(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let config = one_at_a_time().nesting(Nesting::Flat);
    let r = ctx
        .parallel("flat", vec![step("fa"), step("fb")], config)
        .await?;
    Ok(r.into_results())
}

/// 8-13: half failed is more than a quarter.
#[function(durable, timeout = "60s")]
async fn c8_13(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failure_percentage(25.0);
    let branches = vec![fail(), fail(), give(json!("c")), give(json!("d"))];
    tolerance(&ctx, "percentage", branches, c, NO_STATUS).await
}

/// 8-14: the second branch waits; the replay skips the first.
#[function(durable, timeout = "60s")]
async fn c8_14(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let waits = Branch::new(|ctx: DurableContext| async move {
        ctx.wait("", Duration::from_secs(2)).await?;
        Ok(json!("b1"))
    });
    let r = ctx
        .parallel("replay", vec![step("b0"), waits], one_at_a_time())
        .await?;
    Ok(r.into_results())
}

/// Wraps each branch result in `{"wrapped": v}` in its checkpoint.
#[derive(Debug)]
struct Wrapped;

impl Serdes for Wrapped {
    fn serialize(&self, value: Value) -> Result<String, Error> {
        Ok(json!({ "wrapped": value }).to_string())
    }
    fn deserialize(&self, text: &str) -> Result<Value, Error> {
        let v: Value = serde_json::from_str(text)?;
        Ok(v["wrapped"].clone())
    }
}

/// 8-15: an item serdes wraps each branch's result.
#[function(durable, timeout = "60s")]
async fn c8_15(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let config = one_at_a_time().item_serdes(Wrapped);
    let r = ctx
        .parallel("serdes", vec![give(json!("x")), give(json!("y"))], config)
        .await?;
    Ok(r.into_results())
}

/// 8-16: three failures tolerated of three.
#[function(durable, timeout = "60s")]
async fn c8_16(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failures(3);
    tolerance(&ctx, "all-fail", vec![fail(), fail(), fail()], c, FULL).await
}

/// 8-17: a minimum never reached; every branch runs.
#[function(durable, timeout = "60s")]
async fn c8_17(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().min_successful(3);
    tolerance(
        &ctx,
        "min-unmet",
        vec![give(json!("a")), fail(), give(json!("c"))],
        c,
        FULL,
    )
    .await
}

/// 8-18: the tolerance stops the batch before the minimum.
#[function(durable, timeout = "60s")]
async fn c8_18(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default()
        .min_successful(3)
        .tolerated_failures(1);
    let branches = vec![fail(), fail(), give(json!("c")), give(json!("d"))];
    tolerance(&ctx, "both", branches, c, NO_STATUS).await
}

/// 8-19: max_concurrency 0 is refused before anything runs.
#[function(durable, timeout = "60s")]
async fn c8_19(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let config = BatchConfig::default().max_concurrency(0);
    Ok(ctx
        .parallel("zero", vec![give(json!("a"))], config)
        .await?
        .into_results())
}

/// 8-20: the result's accessors.
#[function(durable, timeout = "60s")]
async fn c8_20(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let config = one_at_a_time().completion(CompletionConfig::default().tolerated_failures(1));
    let r = ctx
        .parallel(
            "accessors",
            vec![give(json!("a")), fail(), give(json!("c"))],
            config,
        )
        .await?;
    Ok(json!({
        "hasFailure": r.has_failure(),
        "successCount": r.results().len(),
        "failureCount": r.failure_count(),
        "errorCount": r.errors().len(),
    }))
}

/// 8-21: a branch runs a parallel of its own.
#[function(durable, timeout = "60s")]
async fn c8_21(_input: Value, ctx: DurableContext) -> Result<Vec<Value>, Error> {
    let outer = Branch::new(|ctx: DurableContext| async move {
        let inner = ctx
            .parallel("inner", vec![step("i1"), step("i2")], one_at_a_time())
            .await?;
        Ok(json!(inner.into_results()))
    });
    Ok(ctx
        .parallel("outer", vec![outer], one_at_a_time())
        .await?
        .into_results())
}

/// 8-22: exactly a quarter failed goes on.
#[function(durable, timeout = "60s")]
async fn c8_22(_input: Value, ctx: DurableContext) -> Result<Value, Error> {
    let c = CompletionConfig::default().tolerated_failure_percentage(25.0);
    let branches = vec![fail(), give(json!("b")), give(json!("c")), give(json!("d"))];
    tolerance(&ctx, "edge", branches, c, FULL).await
}

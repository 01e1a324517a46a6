//! `map` and `parallel` beyond the conformance suite's cases, run in-process with
//! `fnkit::testing::durable`: a batch that stops early while a branch waits, a FLAT map whose
//! branches' bodies run again on each replay while their steps run once, and a nested map that
//! does not run a finished branch again.
#![cfg(feature = "durable")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fnkit::durable::wire::ExecutionStatus;
use fnkit::durable::{
    BatchConfig, Branch, CompletionConfig, CompletionReason, DurableContext, ItemStatus, Nesting,
};
use fnkit::testing::durable::DurableTest;
use fnkit::Error;
use serde_json::{json, Value};

const HOUR: Duration = Duration::from_secs(3600);

/// Two branches at once: the first returns, the second waits an hour. One success is enough,
/// so the batch stops with the second still waiting; a step after it runs in the same
/// invocation.
async fn first_wins(_: Value, ctx: DurableContext) -> Result<Value, Error> {
    let quick = Branch::new(|_| async { Ok(1u32) });
    let slow = Branch::new(|ctx: DurableContext| async move {
        ctx.wait("long", HOUR).await?;
        Ok(2u32)
    });
    let completion = CompletionConfig::default().min_successful(1);
    let config = BatchConfig::default().completion(completion);
    let r = ctx.parallel("race", vec![slow, quick], config).await?;
    let after: u32 = ctx.step("after", |_| async { Ok(3) }).await?;
    let statuses: Vec<ItemStatus> = r.all.iter().map(|i| i.status).collect();
    Ok(json!({"statuses": statuses, "reason": r.completion_reason,
        "results": r.results(), "after": after}))
}

#[tokio::test]
async fn a_batch_that_stops_early_leaves_a_waiting_branch_started_and_goes_on() {
    let run = DurableTest::new().run(json!(null), first_wins).await;
    let out: Value = run.result().unwrap();
    assert_eq!(out["statuses"], json!(["STARTED", "SUCCEEDED"]), "{run}");
    assert_eq!(
        out["reason"],
        json!(CompletionReason::MinSuccessfulReached),
        "{run}"
    );
    assert_eq!(out["results"], json!([1]));
    assert_eq!(out["after"], json!(3));
    assert_eq!(run.invocations, 1, "nothing waited for the hour: {run}");
    assert_eq!(run.elapsed, Duration::ZERO, "{run}");
}

/// Runs of each item's body, by item, for `batched`.
static FLAT_BODIES: [AtomicU32; 3] = [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)];
static NESTED_BODIES: [AtomicU32; 3] = [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)];

/// Maps three items one at a time; each waits a minute between two steps. Counts each item's
/// body runs in `bodies`.
async fn batched(
    ctx: DurableContext,
    nesting: Nesting,
    bodies: &'static [AtomicU32; 3],
) -> Result<Vec<u64>, Error> {
    let config = BatchConfig::default().max_concurrency(1).nesting(nesting);
    let r = ctx
        .map("items", vec![1u64, 2, 3], config, |ctx, n, i| async move {
            bodies[i].fetch_add(1, Ordering::SeqCst);
            let doubled: u64 = ctx.step("double", |_| async move { Ok(n * 2) }).await?;
            ctx.wait("pause", Duration::from_secs(60)).await?;
            Ok(ctx.step("add", |_| async move { Ok(doubled + 1) }).await?)
        })
        .await?;
    r.throw_if_error()?;
    Ok(r.into_results())
}

#[tokio::test]
async fn a_flat_map_runs_its_bodies_again_on_replay_and_each_step_once() {
    let run = DurableTest::new()
        .run(json!(null), |_: Value, ctx| {
            batched(ctx, Nesting::Flat, &FLAT_BODIES)
        })
        .await;
    assert_eq!(run.result::<Vec<u64>>().unwrap(), [3, 5, 7], "{run}");
    assert_eq!(run.invocations, 4, "a wait per item: {run}");
    assert_eq!(run.elapsed, Duration::from_secs(180), "{run}");
    // Until the map finishes, every started item's body runs again in each invocation: item 0's
    // in all four, item 1's in the last three, item 2's in the last two.
    let runs: Vec<u32> = FLAT_BODIES
        .iter()
        .map(|n| n.load(Ordering::SeqCst))
        .collect();
    assert_eq!(runs, [4, 3, 2], "{run}");
    assert_eq!(run.count("StepStarted", "double"), 3, "{run}");
    assert_eq!(run.count("StepStarted", "add"), 3, "{run}");
    assert!(
        !run.events.iter().any(|e| e["SubType"] == "MapIteration"),
        "{run}"
    );
}

#[tokio::test]
async fn a_nested_map_does_not_run_a_finished_items_body_again() {
    let run = DurableTest::new()
        .run(json!(null), |_: Value, ctx| {
            batched(ctx, Nesting::Nested, &NESTED_BODIES)
        })
        .await;
    assert_eq!(run.status, ExecutionStatus::Succeeded, "{run}");
    assert_eq!(run.result::<Vec<u64>>().unwrap(), [3, 5, 7], "{run}");
    // Each item's body runs when it starts and once more after its wait, never after it ended.
    let runs: Vec<u32> = NESTED_BODIES
        .iter()
        .map(|n| n.load(Ordering::SeqCst))
        .collect();
    assert_eq!(runs, [2, 2, 2], "{run}");
    assert_eq!(run.count("ContextSucceeded", "map-item-1"), 1, "{run}");
}

/// Body runs of `large`'s branches: the waiting one's and the two quick ones'.
static LARGE_BODIES: [AtomicU32; 3] = [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)];

/// A batch whose result (two branches of 150,000 characters, each small enough to checkpoint)
/// is too large to checkpoint, stopped early with a branch waiting; then a wait, so the next
/// invocation replays the batch from its summary.
async fn large(_: Value, ctx: DurableContext) -> Result<Value, Error> {
    let slow = Branch::new(|ctx: DurableContext| async move {
        LARGE_BODIES[0].fetch_add(1, Ordering::SeqCst);
        ctx.wait("long", HOUR).await?;
        Ok("slow".to_owned())
    });
    let quick = |i: usize| {
        Branch::new(move |_| async move {
            LARGE_BODIES[i].fetch_add(1, Ordering::SeqCst);
            Ok("x".repeat(150_000))
        })
    };
    let completion = CompletionConfig::default().min_successful(2);
    let config = BatchConfig::default().completion(completion);
    let r = ctx
        .parallel("big", vec![slow, quick(1), quick(2)], config)
        .await?;
    ctx.wait("later", Duration::from_secs(1)).await?;
    let statuses: Vec<ItemStatus> = r.all.iter().map(|i| i.status).collect();
    let lengths: Vec<usize> = r.results().iter().map(|s| s.len()).collect();
    Ok(json!({"statuses": statuses, "lengths": lengths, "reason": r.completion_reason}))
}

#[tokio::test]
async fn a_batch_too_large_to_checkpoint_is_rebuilt_from_its_summary_without_running_again() {
    let run = DurableTest::new().run(json!(null), large).await;
    let out: Value = run.result().unwrap();
    assert_eq!(
        out["statuses"],
        json!(["STARTED", "SUCCEEDED", "SUCCEEDED"]),
        "{run}"
    );
    assert_eq!(out["lengths"], json!([150_000, 150_000]));
    assert_eq!(out["reason"], json!("MIN_SUCCESSFUL_REACHED"));
    assert_eq!(run.invocations, 2, "the replay after the wait: {run}");
    let runs: Vec<u32> = LARGE_BODIES
        .iter()
        .map(|n| n.load(Ordering::SeqCst))
        .collect();
    assert_eq!(runs, [1, 1, 1], "no branch ran again on the replay");
    let succeeded = run
        .events
        .iter()
        .find(|e| e["EventType"] == "ContextSucceeded" && e["SubType"] == "Parallel")
        .unwrap();
    let payload = succeeded["ContextSucceededDetails"]["Result"]["Payload"]
        .as_str()
        .unwrap();
    let summary: Value = serde_json::from_str(payload).unwrap();
    assert_eq!(summary["type"], "ParallelResult", "{summary}");
    assert_eq!(summary["startedIndexes"], json!([0]), "{summary}");
}

/// FLAT the first time, nested on the replay after its branch's wait.
async fn unnested(_: Value, ctx: DurableContext) -> Result<Vec<u32>, Error> {
    let nesting = match ctx.is_replaying() {
        true => Nesting::Nested,
        false => Nesting::Flat,
    };
    let config = BatchConfig::default().nesting(nesting);
    let r = ctx
        .map("items", vec![1u32], config, |ctx, n, _| async move {
            ctx.wait("pause", Duration::from_secs(1)).await?;
            Ok(n)
        })
        .await?;
    Ok(r.into_results())
}

#[tokio::test]
async fn a_history_written_flat_is_not_replayed_nested_and_gets_no_branch_context() {
    let run = DurableTest::new().run(json!(null), unnested).await;
    assert_eq!(run.status, ExecutionStatus::Failed, "{run}");
    let error = run.error.clone().unwrap_or_default();
    assert_eq!(
        error.error_type.as_deref(),
        Some("DurableExecution.NonDeterministic"),
        "{run}"
    );
    assert!(
        error.error_message.unwrap_or_default().contains("FLAT"),
        "{run}"
    );
    assert!(
        !run.events.iter().any(|e| e["SubType"] == "MapIteration"),
        "no branch context was started: {run}"
    );
}

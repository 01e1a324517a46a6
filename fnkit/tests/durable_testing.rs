//! `fnkit::testing::durable`: durable handlers run in-process with time skipped, against the
//! engine fnkit-local's service runs: waits and retries at their modelled times, queued callback
//! and invoke results, failed checkpoints, a timeout, and a run that waits on nothing queued.
#![cfg(feature = "durable")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fnkit::durable::retry::Jitter;
use fnkit::durable::wire::ExecutionStatus;
use fnkit::durable::{CallbackConfig, DurableContext, Retry, StepConfig};
use fnkit::testing::durable::DurableTest;
use fnkit::Error;
use serde_json::{json, Value};

const DAY: Duration = Duration::from_secs(86_400);
const WEEK: Duration = Duration::from_secs(7 * 86_400);

/// Waits a day, asks for an approval, settles.
async fn approve(amount: u32, ctx: DurableContext) -> Result<String, Error> {
    ctx.wait("cool-off", DAY).await?;
    let config = CallbackConfig {
        timeout: Some(Duration::from_secs(3600)),
        ..CallbackConfig::default()
    };
    let approved: bool = ctx
        .wait_for_callback("approval", config, |_id| async { Ok(()) })
        .await?;
    let verdict = if approved { "paid" } else { "refused" };
    Ok(ctx
        .step(
            "settle",
            |_| async move { Ok(format!("{verdict} {amount}")) },
        )
        .await?)
}

#[tokio::test]
async fn a_day_long_wait_and_a_callback_run_in_no_time() {
    let started = std::time::Instant::now();
    let run = DurableTest::new()
        .timeout(WEEK)
        .callback_succeeds("approval", true)
        .run(120, approve)
        .await;
    assert_eq!(run.result::<String>().unwrap(), "paid 120", "{run}");
    assert_eq!(run.status, ExecutionStatus::Succeeded);
    assert!(run.elapsed >= DAY, "the day is on the skipped clock: {run}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "generous: the day was skipped, not waited"
    );
    let history = run.history();
    assert!(
        history
            .iter()
            .any(|l| l.contains("+1d") && l.contains("WaitSucceeded cool-off")),
        "{run}"
    );
    assert!(
        history
            .iter()
            .any(|l| l.contains("CallbackSucceeded approval = true")),
        "{run}"
    );
    assert_eq!(run.count("StepStarted", "settle"), 1);
}

#[tokio::test]
async fn a_callback_that_fails_or_never_comes_is_the_handlers_error() {
    let refused = DurableTest::new()
        .timeout(WEEK)
        .callback_fails("approval", "Rejected", "no budget")
        .run(5, approve)
        .await;
    assert_eq!(refused.status, ExecutionStatus::Failed, "{refused}");
    let error = refused.result::<String>().unwrap_err();
    assert!(error.message().contains("no budget"), "{error}");

    // Nothing queued: the callback times out after its hour, on the skipped clock.
    let silent = DurableTest::new().timeout(WEEK).run(5, approve).await;
    assert_eq!(silent.status, ExecutionStatus::Failed, "{silent}");
    assert!(
        silent.elapsed >= DAY + Duration::from_secs(3600),
        "{silent}"
    );
    assert!(
        silent
            .history()
            .iter()
            .any(|l| l.contains("CallbackTimedOut")),
        "{silent}"
    );
}

#[tokio::test]
async fn a_callback_without_a_timeout_and_without_a_result_leaves_the_run_waiting() {
    let handler = |_: Value, ctx: DurableContext| async move {
        let config = CallbackConfig::default();
        let answer: Value = ctx
            .wait_for_callback("signature", config, |_id| async { Ok(()) })
            .await?;
        Ok::<_, Error>(answer)
    };
    let run = DurableTest::new().run(json!(null), handler).await;
    assert_eq!(run.status, ExecutionStatus::Running, "{run}");
    let waiting = run.waiting_on.as_deref().unwrap_or_default();
    assert!(waiting.contains("\"signature\""), "{waiting}");
    let error = run.result::<Value>().unwrap_err();
    assert!(error.message().contains("waiting on"), "{error}");
}

/// Fails its first two attempts; attempts are 10 s then 20 s apart.
async fn flaky(_: Value, ctx: DurableContext) -> Result<u32, Error> {
    let retry = Retry::exponential()
        .max_attempts(3)
        .initial(Duration::from_secs(10))
        .backoff(2.0)
        .jitter(Jitter::None);
    let config = StepConfig::default().retry(retry);
    Ok(ctx
        .step_with("call", config, |step| async move {
            match step.attempt {
                1 | 2 => Err(Error::new("Busy", "try later")),
                n => Ok(n),
            }
        })
        .await?)
}

#[tokio::test]
async fn retries_happen_at_their_modelled_times() {
    let run = DurableTest::new().run(json!(null), flaky).await;
    assert_eq!(run.result::<u32>().unwrap(), 3, "{run}");
    assert_eq!(run.invocations, 3);
    assert_eq!(run.count("StepStarted", "call"), 3);
    assert_eq!(run.elapsed, Duration::from_secs(30), "{run}");
}

/// How many times `counted`'s step body ran (in this test binary).
static BODY_RUNS: AtomicU32 = AtomicU32::new(0);

async fn counted(_: Value, ctx: DurableContext) -> Result<u32, Error> {
    Ok(ctx
        .step("count", |_| async {
            Ok(BODY_RUNS.fetch_add(1, Ordering::SeqCst) + 1)
        })
        .await?)
}

#[tokio::test]
async fn a_failed_checkpoint_fails_the_invocation_and_the_next_one_runs_the_step_again() {
    let run = DurableTest::new()
        .fail_checkpoint(1)
        .run(json!(null), counted)
        .await;
    assert_eq!(run.status, ExecutionStatus::Succeeded, "{run}");
    assert_eq!(run.invocations, 2, "{run}");
    // At least once: the body ran in both invocations; only the second's result was kept.
    assert_eq!(BODY_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(run.result::<u32>().unwrap(), 2);
    assert_eq!(run.count("StepStarted", "count"), 1);
    let failed_invocation = run
        .events
        .iter()
        .find(|e| e["EventType"] == "InvocationCompleted")
        .unwrap();
    let error = &failed_invocation["InvocationCompletedDetails"]["Error"]["Payload"];
    assert!(
        error["ErrorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("fail_checkpoint"),
        "{run}"
    );
}

async fn bill(month: u32, ctx: DurableContext) -> Result<Value, Error> {
    Ok(ctx
        .invoke("bill", "billing:prod", &json!({"month": month}))
        .await?)
}

#[tokio::test]
async fn an_invoke_returns_what_the_test_queued_for_its_function() {
    let run = DurableTest::new()
        .invoke_returns("billing", json!({"total": 42}))
        .run(11, bill)
        .await;
    assert_eq!(
        run.result::<Value>().unwrap(),
        json!({"total": 42}),
        "{run}"
    );

    let failed = DurableTest::new()
        .invoke_fails("billing", "Declined", "card expired")
        .run(11, bill)
        .await;
    assert_eq!(failed.status, ExecutionStatus::Failed, "{failed}");

    let unanswered = DurableTest::new().run(11, bill).await;
    assert_eq!(unanswered.status, ExecutionStatus::Running, "{unanswered}");
    let waiting = unanswered.waiting_on.as_deref().unwrap_or_default();
    assert!(
        waiting.contains("\"bill\"") && waiting.contains("invoke_returns"),
        "{waiting}"
    );
}

#[tokio::test]
async fn an_execution_that_outlives_its_timeout_times_out_then() {
    let run = DurableTest::new()
        .timeout(Duration::from_secs(60))
        .run(1, approve)
        .await;
    assert_eq!(run.status, ExecutionStatus::TimedOut, "{run}");
    assert_eq!(run.elapsed, Duration::from_secs(60), "{run}");
}

/// Two items at once, each waiting for a callback named `approval`.
async fn two_approvals(_: Value, ctx: DurableContext) -> Result<Vec<String>, Error> {
    let r = ctx
        .map(
            "orders",
            vec![0, 1],
            fnkit::durable::BatchConfig::default(),
            |ctx, _: u32, _| async move {
                let config = CallbackConfig::default();
                let by: String = ctx
                    .wait_for_callback("approval", config, |_id| async { Ok(()) })
                    .await?;
                Ok(by)
            },
        )
        .await?;
    r.throw_if_error()?;
    Ok(r.into_results())
}

#[tokio::test]
async fn answers_to_callbacks_of_one_name_go_out_in_the_order_the_callbacks_were_created() {
    let run = DurableTest::new()
        .callback_succeeds("approval", "ada")
        .callback_succeeds("approval", "grace")
        .run(json!(null), two_approvals)
        .await;
    assert_eq!(
        run.result::<Vec<String>>().unwrap(),
        ["ada", "grace"],
        "{run}"
    );
}

//! The emulator enforces the cloud's rules on real worker processes: timeouts (also of a
//! CPU-bound loop), memory sizes, crashes, panics and concurrency limits, and it never goes
//! down with a function.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnkit_local::Reuse;
use fnkit_tests::emulator::{entry, Served, TestEmulator};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

async fn start(configure: impl FnOnce(&mut fnkit_local::Config)) -> TestEmulator {
    let bin = fixtures();
    TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], configure).await
}

/// The ledger's row for `request_id`.
async fn row(emulator: &TestEmulator, function: &str, request_id: &str) -> serde_json::Value {
    let rows = emulator
        .admin(&format!(
            "/_fnkit/invocations?function={function}&limit=100"
        ))
        .await;
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["request_id"] == request_id)
        .cloned()
        .unwrap_or_else(|| panic!("no ledger row for {request_id}: {rows}"))
}

/// The REPORT line of `request_id`.
fn report_line(emulator: &TestEmulator, request_id: &str) -> String {
    let log = emulator.log();
    log.iter()
        .find(|l| l.contains("REPORT") && l.contains(request_id))
        .cloned()
        .unwrap_or_else(|| panic!("no REPORT line for {request_id}: {log:#?}"))
}

#[tokio::test]
async fn a_cpu_bound_loop_is_stopped_at_its_timeout_and_the_next_call_starts_cold() {
    let emulator = start(|_| {}).await;
    // Warm the environment first, so the replacement below is visibly a new one.
    assert_eq!(
        emulator.invoke("spin", &json!({"warm": 1})).await.status,
        200
    );
    let started = Instant::now();
    let reply = emulator.invoke("spin", &json!({"spin": true})).await;
    let waited = started.elapsed();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    let error = reply.json();
    assert_eq!(error["errorType"], "Sandbox.Timedout");
    let id = reply.header("x-amzn-requestid").unwrap();
    // The configured timeout, as Lambda words it (the RIE's "Task timed out after %.2f seconds").
    assert_eq!(
        error["errorMessage"],
        format!("RequestId: {id} Error: Task timed out after 1.00 seconds")
    );
    // Generous bound: the 1 s timeout fired, the loop did not run on.
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(5),
        "answered after {waited:?}"
    );

    let timed_out = row(&emulator, "spin", reply.header("x-amzn-requestid").unwrap()).await;
    assert_eq!(timed_out["outcome"], "timeout");
    // The REPORT line says it (Duration = the timeout, `Status: timeout`); no line of its own.
    let report = report_line(&emulator, id);
    assert!(
        report.contains("\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\t"),
        "{report}"
    );
    assert!(report.ends_with("\tStatus: timeout\t"), "{report}");
    let log = emulator.log();
    assert!(
        !log.iter().any(|l| l.contains("Task timed out")),
        "{log:#?}"
    );

    let next = emulator.invoke("spin", &json!({"after": true})).await;
    assert_eq!(next.status, 200);
    assert_eq!(next.json(), json!({"after": true}));
    let after = row(&emulator, "spin", next.header("x-amzn-requestid").unwrap()).await;
    assert_eq!(after["outcome"], "ok");
    assert!(
        after["init_ms"].is_number(),
        "the environment was replaced, so the next call is cold: {after}"
    );
}

#[tokio::test]
async fn a_panic_is_a_function_error_and_the_worker_stays_warm() {
    let emulator = start(|_| {}).await;
    let reply = emulator.invoke("echo", &json!({"panic": "boom"})).await;
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(reply.json()["errorType"], "Runtime.Panic");
    let next = emulator.invoke("echo", &json!({"x": 1})).await;
    assert_eq!(next.json(), json!({"x": 1}));
    let after = row(&emulator, "echo", next.header("x-amzn-requestid").unwrap()).await;
    assert!(
        after["init_ms"].is_null(),
        "a panic does not cost the environment: {after}"
    );
}

#[tokio::test]
async fn an_abort_is_an_exit_error_and_the_worker_is_replaced() {
    let emulator = start(|_| {}).await;
    let reply = emulator.invoke("abort", &json!({"abort": true})).await;
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    let error = reply.json();
    assert_eq!(error["errorType"], "Runtime.ExitError");
    assert!(
        error["errorMessage"]
            .as_str()
            .unwrap()
            .contains("signal: aborted"),
        "{error}"
    );
    let crashed = row(
        &emulator,
        "abort",
        reply.header("x-amzn-requestid").unwrap(),
    )
    .await;
    assert_eq!(crashed["outcome"], "crash");
    // It died at once, in its first call, before any sample during the call: what it used is
    // still reported (its runtime's memory at the first `/next` at least), never 0 MB.
    assert!(
        crashed["max_memory_mb"].as_u64().unwrap() > 0,
        "Max Memory Used of a worker that died fast: {crashed}"
    );
    let next = emulator.invoke("abort", &json!({"ok": true})).await;
    assert_eq!(next.json(), json!({"ok": true}));
    assert!(
        row(&emulator, "abort", next.header("x-amzn-requestid").unwrap()).await["init_ms"]
            .is_number()
    );
}

#[tokio::test]
async fn a_function_above_its_memory_size_is_stopped_with_out_of_memory() {
    let emulator = start(|_| {}).await;
    let small = emulator.invoke("leak", &json!({"mb": 8})).await;
    assert_eq!(small.status, 200);
    assert!(
        small.header("x-amz-function-error").is_none(),
        "{}",
        small.text()
    );
    let measured = row(&emulator, "leak", small.header("x-amzn-requestid").unwrap()).await;
    let used = measured["max_memory_mb"].as_u64().unwrap();
    assert!(
        (9..128).contains(&used),
        "Max Memory Used is measured, not the 128 MB limit: {used}"
    );

    let reply = emulator.invoke("leak", &json!({"mb": 400})).await;
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(reply.json()["errorType"], "Runtime.OutOfMemory");
    let killed = row(&emulator, "leak", reply.header("x-amzn-requestid").unwrap()).await;
    assert_eq!(killed["outcome"], "oom");
    assert!(killed["max_memory_mb"].as_u64().unwrap() > 128, "{killed}");
    let report = report_line(&emulator, reply.header("x-amzn-requestid").unwrap());
    assert!(
        report.ends_with("\tStatus: error\tError Type: Runtime.OutOfMemory\t"),
        "{report}"
    );
    let next = emulator.invoke("leak", &json!({"mb": 1})).await;
    assert_eq!(next.status, 200);
    assert!(
        next.header("x-amz-function-error").is_none(),
        "{}",
        next.text()
    );
}

/// Waits until `function` has `n` calls in flight.
async fn until_in_flight(emulator: &TestEmulator, function: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let functions = emulator.admin("/_fnkit/functions").await;
        if entry(&functions, "name", function)["in_flight"] == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{function} never had {n} calls in flight"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn functions_without_reserved_concurrency_share_the_account_pool() {
    // By default the pool is Lambda's 1,000, less what the fixtures reserve.
    let reserved: u32 = fnkit_local::build::describe(&fixtures())
        .unwrap()
        .functions
        .iter()
        .filter_map(|f| f.concurrency)
        .sum();
    let emulator = start(|_| {}).await;
    let functions = emulator.admin("/_fnkit/functions").await;
    assert_eq!(
        entry(&functions, "name", "echo")["concurrency"],
        1000 - reserved
    );
    assert_eq!(
        entry(&functions, "name", "echo")["reserved_concurrency"],
        json!(null)
    );
    assert_eq!(entry(&functions, "name", "slow")["reserved_concurrency"], 1);
    drop(emulator);

    // A pool of one unreserved slot: `hold` takes it, so `echo` (also unreserved) is throttled
    // for the account, while `slow` (reserved) still runs.
    let emulator = start(|c| c.max_concurrency = reserved + 1).await;
    let held = {
        let base = emulator.base.clone();
        tokio::spawn(async move {
            fnkit_tests::emulator::request(
                "POST",
                &format!("{base}/2015-03-31/functions/hold/invocations"),
                &[],
                br#"{"ms": 3000}"#.to_vec(),
            )
            .await
        })
    };
    until_in_flight(&emulator, "hold", 1).await;
    let refused = emulator.invoke("echo", &json!({"x": 1})).await;
    assert_eq!(refused.status, 429);
    assert_eq!(
        refused.json()["Reason"],
        "ConcurrentInvocationLimitExceeded"
    );
    let reserved_call = emulator.invoke("slow", &json!({"ms": 1})).await;
    assert_eq!(reserved_call.status, 200, "{}", reserved_call.text());
    assert_eq!(held.await.unwrap().status, 200);
    assert_eq!(emulator.invoke("echo", &json!({"x": 2})).await.status, 200);
}

#[tokio::test]
async fn reserving_more_than_the_pool_is_refused_at_start() {
    let config = fnkit_local::Config {
        max_concurrency: 1,
        state_dir: fnkit_tests::emulator::temp_dir("pool"),
        ..fnkit_local::Config::default()
    };
    let error = fnkit_local::Emulator::builder()
        .config(config)
        .binary(fixtures())
        .build()
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("leaving none of the account's 1 (--max-concurrency)"),
        "{message}"
    );
}

#[tokio::test]
async fn over_its_concurrency_a_call_is_throttled_with_429() {
    let emulator = start(|_| {}).await;
    let base = emulator.base.clone();
    let first = tokio::spawn(async move {
        fnkit_tests::emulator::request(
            "POST",
            &format!("{base}/2015-03-31/functions/slow/invocations"),
            &[],
            br#"{"ms": 1500}"#.to_vec(),
        )
        .await
    });
    // Wait until the first call holds the only slot.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let functions = emulator.admin("/_fnkit/functions").await;
        let slow = entry(&functions, "name", "slow");
        if slow["in_flight"] == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the first call never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = emulator.invoke("slow", &json!({"ms": 1})).await;
    assert_eq!(second.status, 429);
    assert_eq!(
        second.header("x-amzn-errortype"),
        Some("TooManyRequestsException")
    );
    assert_eq!(
        second.json()["Reason"],
        "ReservedFunctionConcurrentInvocationLimitExceeded"
    );
    let first = first.await.unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(first.json(), json!({"ms": 1500}));
    let throttled = row(
        &emulator,
        "slow",
        second.header("x-amzn-requestid").unwrap(),
    )
    .await;
    assert_eq!(throttled["outcome"], "throttled");
    let stats = emulator.admin("/_fnkit/stats").await;
    let slow = entry(&stats, "function", "slow");
    assert_eq!(slow["throttles"], 1);
    assert_eq!(slow["invocations"], 2);
}

#[tokio::test]
async fn reuse_never_gives_every_call_a_fresh_process() {
    let emulator = start(|c| c.reuse = Reuse::Never).await;
    for _ in 0..3 {
        let reply = emulator.invoke("counter", &json!({})).await;
        assert_eq!(
            reply.json(),
            json!(1),
            "a static never survives with --reuse never"
        );
        let r = row(
            &emulator,
            "counter",
            reply.header("x-amzn-requestid").unwrap(),
        )
        .await;
        assert!(r["init_ms"].is_number(), "every call is cold: {r}");
    }
}

#[tokio::test]
async fn reuse_always_keeps_the_warm_process_and_its_statics() {
    let emulator = start(|_| {}).await;
    let counts: Vec<serde_json::Value> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(emulator.invoke("counter", &json!({})).await.json());
        }
        v
    };
    assert_eq!(counts, [json!(1), json!(2), json!(3)]);
}

#[tokio::test]
async fn max_uses_recycles_the_environment() {
    let emulator = start(|c| c.max_uses = Some(2)).await;
    let mut counts = Vec::new();
    for _ in 0..4 {
        counts.push(emulator.invoke("counter", &json!({})).await.json());
    }
    assert_eq!(counts, [json!(1), json!(2), json!(1), json!(2)]);
}

#[tokio::test]
async fn the_deadline_is_absolute_and_the_lambda_environment_is_set() {
    let emulator = start(|_| {}).await;
    let reply = emulator.invoke("whoami", &json!({})).await;
    let me = reply.json();
    let remaining = me["remaining_ms"].as_u64().unwrap();
    assert!(
        remaining > 5_000 && remaining <= 7_000,
        "7 s timeout, fresh call: {remaining} ms left"
    );
    assert_eq!(me["memory_mb"], 256);
    assert_eq!(me["function"], "whoami");
    assert_eq!(me["request_id"], reply.header("x-amzn-requestid").unwrap());
    assert_eq!(me["env_function"], "whoami");
    assert_eq!(me["env_memory"], "256");
    assert_eq!(me["env_handler"], "whoami");
    assert_eq!(me["env_region"], "us-east-1");
    assert_eq!(me["env_log_group"], "/aws/lambda/whoami");
    assert!(me["arn"].as_str().unwrap().ends_with(":function:whoami"));
}

#[tokio::test]
async fn the_emulator_survives_every_misbehaviour_and_drains_on_shutdown() {
    let emulator = start(|_| {}).await;
    let _ = emulator.invoke("abort", &json!({"abort": true})).await;
    let _ = emulator.invoke("echo", &json!({"panic": "again"})).await;
    let ok = emulator.invoke("echo", &json!({"still": "here"})).await;
    assert_eq!(ok.json(), json!({"still": "here"}));
    let summary = emulator.stop().await;
    assert_eq!(summary.count("abort", "crash"), 1);
    assert_eq!(summary.count("echo", "error"), 1);
    assert_eq!(summary.count("echo", "ok"), 1);
}

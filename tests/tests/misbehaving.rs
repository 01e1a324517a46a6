//! Functions that misbehave, each one way (tests/src/bin/misbehaving.rs and the fixtures): the
//! caller gets the error Lambda gives, the call is logged and recorded, the emulator goes on
//! serving, and an asynchronous call that keeps failing is retried and recorded, never lost
//! (issue 13, the suite).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{request, Served, TestEmulator};
use serde_json::{json, Value};

/// One misbehaviour and what the caller must get: the error type (none for an answer) and a
/// piece of its message (or of the answer), and the outcome the ledger records.
struct Case {
    function: &'static str,
    payload: Value,
    error_type: Option<&'static str>,
    says: &'static str,
    outcome: &'static str,
}

fn case(
    function: &'static str,
    payload: Value,
    error_type: Option<&'static str>,
    says: &'static str,
    outcome: &'static str,
) -> Case {
    Case {
        function,
        payload,
        error_type,
        says,
        outcome,
    }
}

fn cases() -> Vec<Case> {
    vec![
        case(
            "stack_overflow",
            json!({}),
            Some("Runtime.ExitError"),
            "signal: aborted",
            "crash",
        ),
        case(
            "exit_code",
            json!({}),
            Some("Runtime.ExitError"),
            "exit status 3",
            "crash",
        ),
        case(
            "segfault",
            json!({}),
            Some("Runtime.ExitError"),
            "segmentation fault",
            "crash",
        ),
        case(
            "abort",
            json!({"abort": true}),
            Some("Runtime.ExitError"),
            "signal: aborted",
            "crash",
        ),
        case(
            "echo",
            json!({"panic": "boom"}),
            Some("Runtime.Panic"),
            "boom",
            "error",
        ),
        case(
            "endless_sleep",
            json!({}),
            Some("Sandbox.Timedout"),
            "Task timed out after 1.00 seconds",
            "timeout",
        ),
        case(
            "spin",
            json!({"spin": true}),
            Some("Sandbox.Timedout"),
            "Task timed out after 1.00 seconds",
            "timeout",
        ),
        case(
            "leak",
            json!({"mb": 400}),
            Some("Runtime.OutOfMemory"),
            "",
            "oom",
        ),
        case(
            "big",
            json!({"n": 7_000_000}),
            Some("Function.ResponseSizeTooLarge"),
            "",
            "error",
        ),
        case(
            "flood_output",
            json!({"mb": 50, "newlines": false}),
            None,
            "done",
            "ok",
        ),
        case("flood_output", json!({"mb": 20}), None, "done", "ok"),
        case("leftover_thread", json!({"n": 1}), None, "1", "ok"),
        case("leftover_thread", json!({"n": 2}), None, "2", "ok"),
    ]
}

async fn ledger_rows(emulator: &TestEmulator, function: &str) -> Vec<Value> {
    let rows = emulator
        .admin(&format!(
            "/_fnkit/invocations?function={function}&limit=100"
        ))
        .await;
    rows.as_array().unwrap().clone()
}

#[tokio::test]
async fn each_misbehaviour_gets_lambdas_error_and_the_emulator_keeps_serving() {
    let fixtures = PathBuf::from(env!("CARGO_BIN_EXE_fixtures"));
    let misbehaving = PathBuf::from(env!("CARGO_BIN_EXE_misbehaving"));
    let emulator = TestEmulator::start(
        vec![Served::Fnkit(&fixtures), Served::Fnkit(&misbehaving)],
        |_| {},
    )
    .await;
    for c in cases() {
        let what = format!("{} {}", c.function, c.payload);
        let reply = emulator.invoke(c.function, &c.payload).await;
        assert_eq!(reply.status, 200, "{what}: {}", reply.text());
        match c.error_type {
            Some(error_type) => {
                assert_eq!(
                    reply.header("x-amz-function-error"),
                    Some("Unhandled"),
                    "{what}"
                );
                let error = reply.json();
                assert_eq!(error["errorType"], error_type, "{what}: {error}");
                assert!(
                    error["errorMessage"]
                        .as_str()
                        .unwrap_or_default()
                        .contains(c.says),
                    "{what}: {error}"
                );
            }
            None => {
                reply.assert_answered(&what);
                assert!(reply.text().contains(c.says), "{what}: {}", reply.text());
            }
        }
        let id = reply.header("x-amzn-requestid").unwrap().to_owned();
        let rows = ledger_rows(&emulator, c.function).await;
        let row = rows.iter().find(|r| r["request_id"] == id.as_str());
        assert_eq!(
            row.map(|r| r["outcome"].clone()),
            Some(json!(c.outcome)),
            "{what}: {rows:?}"
        );
        assert!(
            emulator
                .log()
                .iter()
                .any(|l| l.contains(&format!("REPORT RequestId: {id}"))),
            "{what}: no REPORT line"
        );
        // And the emulator still serves.
        let echo = emulator.invoke("echo", &json!({"after": c.function})).await;
        assert_eq!(echo.json(), json!({"after": c.function}), "after {what}");
    }
    // The 50 MB line without a newline was cut and marked, not held.
    assert!(emulator
        .log()
        .iter()
        .any(|l| l.contains("[fnkit-local: line cut at 262144 bytes]")));
    // The thread a call left behind keeps printing, under the last request id.
    assert!(emulator
        .log()
        .iter()
        .any(|l| l.contains("leftover thread, line")));
    emulator.stop().await;
}

#[tokio::test]
async fn a_function_that_leaks_descriptors_meets_lambdas_limit() {
    let misbehaving = PathBuf::from(env!("CARGO_BIN_EXE_misbehaving"));
    let emulator = TestEmulator::serving(&misbehaving).await;
    let reply = emulator.invoke("fd_leak", &json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let leak = reply.json();
    // EMFILE, a little under 1,024 opened (the runtime holds a few).
    assert_eq!(leak["refusal"], 24, "{leak}");
    let opened = leak["opened"].as_u64().unwrap();
    assert!((1000..1024).contains(&opened), "{leak}");
    emulator.stop().await;
}

#[tokio::test]
async fn an_asynchronous_call_that_keeps_crashing_is_retried_and_recorded() {
    let misbehaving = PathBuf::from(env!("CARGO_BIN_EXE_misbehaving"));
    let emulator = TestEmulator::start(vec![Served::Fnkit(&misbehaving)], |config| {
        config.async_retry_base = Duration::from_millis(50);
    })
    .await;
    let accepted = request(
        "POST",
        &format!(
            "{}/2015-03-31/functions/exit_code/invocations",
            emulator.base
        ),
        &[("x-amz-invocation-type", "Event")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let id = accepted.header("x-amzn-requestid").unwrap().to_owned();
    // Lambda's default: the first attempt and two retries, each recorded.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = ledger_rows(&emulator, "exit_code").await;
        let tries: Vec<&Value> = rows
            .iter()
            .filter(|r| r["request_id"] == id.as_str())
            .collect();
        if tries.len() == 3 {
            assert!(tries.iter().all(|r| r["outcome"] == "crash"), "{tries:?}");
            break;
        }
        assert!(
            tries.len() < 3 && Instant::now() < deadline,
            "attempts: {tries:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    emulator.stop().await;
}

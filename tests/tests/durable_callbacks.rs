//! Callbacks and stops in the emulator's durable execution service, driven by the raw-protocol
//! handlers of `src/bin/durable_raw.rs` and checked against the history AWS's conformance suite
//! expects (`aws-durable-execution-conformance-tests` 1.0.0: requirements 4-1, 4-3, 4-4, 4-5).

use fnkit_tests::durable::*;
use fnkit_tests::emulator::{request, TestEmulator};
use serde_json::json;

async fn emulator() -> TestEmulator {
    fnkit_tests::durable::emulator(std::path::Path::new(env!("CARGO_BIN_EXE_durable_raw"))).await
}

#[tokio::test]
async fn a_callback_completed_from_outside_resumes_its_execution() {
    let e = emulator().await;
    let arn = start_event(&e, "durable_callback:$LATEST", json!({"timeout": 60})).await;
    let events = until_event(&e, &arn, "CallbackStarted").await;
    let started = events
        .iter()
        .find(|ev| ev["EventType"] == "CallbackStarted")
        .unwrap();
    assert_eq!(started["Name"], "approval");
    assert_eq!(started["CallbackStartedDetails"]["Timeout"], 60);
    let id = started["CallbackStartedDetails"]["CallbackId"]
        .as_str()
        .unwrap()
        .to_owned();
    // A heartbeat is accepted and writes no event.
    assert_eq!(callback_call(&e, &id, "heartbeat", "").await.status, 200);
    let reply = callback_call(&e, &id, "succeed", "\"approved\"").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let events = until_event(&e, &arn, "ExecutionSucceeded").await;
    expect(
        &events,
        &[
            ("ExecutionStarted", ""),
            ("CallbackStarted", "1"),
            ("InvocationCompleted", ""),
            ("CallbackSucceeded", "1"),
            ("InvocationCompleted", ""),
            ("ExecutionSucceeded", ""),
        ],
    );
    assert_eq!(
        events[3]["CallbackSucceededDetails"]["Result"],
        json!({"Payload": "\"approved\"", "Truncated": false})
    );
    let described = get(&e, &format!("durable-executions/{}", encode(&arn)))
        .await
        .json();
    assert_eq!(described["Result"], "\"approved\"");
    // A completed callback takes no second completion; an id that names nothing is not found.
    assert_eq!(
        callback_call(&e, &id, "succeed", "\"again\"").await.status,
        404
    );
    assert_eq!(
        callback_call(&e, "bm90aGluZw==", "succeed", "1")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_callback_times_out_overall_and_without_heartbeats() {
    let e = emulator().await;
    let overall = start_event(&e, "durable_callback:$LATEST", json!({"timeout": 1})).await;
    let quiet = start_event(
        &e,
        "durable_callback:$LATEST",
        json!({"timeout": 60, "heartbeat": 1}),
    )
    .await;
    for (arn, kind) in [(overall, "Callback.Timeout"), (quiet, "Callback.Heartbeat")] {
        let events = until_event(&e, &arn, "ExecutionFailed").await;
        expect(
            &events,
            &[
                ("ExecutionStarted", ""),
                ("CallbackStarted", "1"),
                ("InvocationCompleted", ""),
                ("CallbackTimedOut", "1"),
                ("InvocationCompleted", ""),
                ("ExecutionFailed", ""),
            ],
        );
        assert_eq!(
            events[3]["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"],
            kind
        );
        let id = events[1]["CallbackStartedDetails"]["CallbackId"]
            .as_str()
            .unwrap();
        let late = callback_call(&e, id, "succeed", "1").await;
        assert_eq!(
            late.header("x-amzn-errortype"),
            Some("CallbackTimeoutException")
        );
    }
}

#[tokio::test]
async fn a_stopped_execution_ends_at_once_and_takes_no_more_checkpoints() {
    let e = emulator().await;
    let arn = start_event(&e, "durable_wait:$LATEST", json!({"seconds": 300})).await;
    until_event(&e, &arn, "WaitStarted").await;
    let url = format!(
        "{}/2025-12-01/durable-executions/{}/stop",
        e.base,
        encode(&arn)
    );
    let error = json!({"ErrorType": "Cancelled", "ErrorMessage": "by the operator"}).to_string();
    let reply = request("POST", &url, &[], error.clone().into_bytes()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.json()["StopTimestamp"].as_f64().unwrap() > 1.7e9);
    let events = history(&e, &arn).await;
    let last = events.last().unwrap();
    assert_eq!(last["EventType"], "ExecutionStopped");
    assert_eq!(
        last["ExecutionStoppedDetails"]["Error"]["Payload"]["ErrorType"],
        "Cancelled"
    );
    let described = get(&e, &format!("durable-executions/{}", encode(&arn)))
        .await
        .json();
    assert_eq!(described["Status"], "STOPPED");
    let again = request("POST", &url, &[], error.into_bytes()).await;
    assert_eq!(again.status, 400);

    // An invocation still in flight when its execution stops has its checkpoints refused.
    let out = fnkit_tests::emulator::temp_dir("held").join("status");
    let input = json!({"out": out.to_string_lossy()});
    let arn = start_event(&e, "durable_held:$LATEST", input).await;
    until_event(&e, &arn, "StepStarted").await;
    let url = format!(
        "{}/2025-12-01/durable-executions/{}/stop",
        e.base,
        encode(&arn)
    );
    assert_eq!(request("POST", &url, &[], Vec::new()).await.status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !out.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the held handler did not answer"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(
        written.starts_with("400 ") && written.contains("STOPPED"),
        "{written}"
    );
    let events = history(&e, &arn).await;
    assert_eq!(
        events.last().unwrap()["EventType"],
        "ExecutionStopped",
        "nothing after the stop"
    );
}

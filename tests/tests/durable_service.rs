//! The emulator's durable execution service, driven by handlers that speak the protocol with raw
//! JSON (`src/bin/durable_raw.rs`): each test invokes an execution through the Invoke API and
//! checks its history, event by event, in the order AWS's durable conformance suite expects
//! (`aws-durable-execution-conformance-tests` 1.0.0: requirements 1-1, 1-11, 1-17, 2-1, 3-1).

use std::time::{Duration, Instant};

use fnkit_tests::durable::*;
use fnkit_tests::emulator::{request, TestEmulator};
use serde_json::json;

async fn emulator() -> TestEmulator {
    fnkit_tests::durable::emulator(std::path::Path::new(env!("CARGO_BIN_EXE_durable_raw"))).await
}

#[tokio::test]
async fn a_step_execution_answers_its_result_and_records_history_as_aws_does() {
    let e = emulator().await;
    let reply = invoke(&e, "durable_greet:$LATEST", json!("World"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!("Hello, World!"));
    assert_eq!(reply.header("x-amz-executed-version"), Some("$LATEST"));
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .expect("the execution's ARN")
        .to_owned();
    assert!(
        arn.contains(":function:durable_greet:$LATEST/durable-execution/"),
        "{arn}"
    );
    let events = history(&e, &arn).await;
    expect(
        &events,
        &[
            ("ExecutionStarted", ""),
            ("StepStarted", "1"),
            ("StepSucceeded", "1"),
            ("InvocationCompleted", ""),
            ("ExecutionSucceeded", ""),
        ],
    );
    assert_eq!(
        events[0]["ExecutionStartedDetails"]["Input"],
        json!({"Payload": "\"World\"", "Truncated": false})
    );
    assert_eq!(events[2]["SubType"], "Step");
    assert_eq!(events[2]["Name"], "greet");
    assert_eq!(
        events[2]["StepSucceededDetails"]["Result"],
        json!({"Payload": "\"Hello, World!\"", "Truncated": false})
    );
    assert_eq!(
        events[2]["StepSucceededDetails"]["RetryDetails"]["CurrentAttempt"],
        1
    );
    assert!(events[3]["InvocationCompletedDetails"]["RequestId"].is_string());
    // Times are epoch seconds (rest-json), not milliseconds.
    let t = events[0]["EventTimestamp"].as_f64().unwrap();
    assert!((1.7e9..1e10).contains(&t), "{t}");
    let described = get(&e, &format!("durable-executions/{}", encode(&arn)))
        .await
        .json();
    assert_eq!(described["Status"], "SUCCEEDED");
    assert_eq!(described["Result"], "\"Hello, World!\"");
    assert_eq!(described["DurableExecutionArn"], json!(arn));
}

#[tokio::test]
async fn a_wait_suspends_the_execution_and_a_second_invocation_resumes_it() {
    let e = emulator().await;
    let started = Instant::now();
    let reply = invoke(&e, "durable_wait:$LATEST", json!({"seconds": 1}), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the wait lasted its second"
    );
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    expect(
        &events,
        &[
            ("ExecutionStarted", ""),
            ("WaitStarted", "1"),
            ("InvocationCompleted", ""),
            ("WaitSucceeded", "1"),
            ("StepStarted", "2"),
            ("StepSucceeded", "2"),
            ("InvocationCompleted", ""),
            ("ExecutionSucceeded", ""),
        ],
    );
    assert_eq!(events[1]["WaitStartedDetails"]["Duration"], 1);
    let end = events[1]["WaitStartedDetails"]["ScheduledEndTimestamp"]
        .as_f64()
        .unwrap();
    let start = events[1]["EventTimestamp"].as_f64().unwrap();
    assert!(
        (end - start - 1.0).abs() < 0.01,
        "scheduled a second after it started"
    );
    assert_eq!(events[3]["WaitSucceededDetails"]["Duration"], 1);
    // The ledger's rows link to the execution: both invocations, each billed.
    let linked = fnkit_tests::durable::ledger_rows(&e, &arn, 2).await;
    assert_eq!(linked.len(), 2, "{linked:?}");
    assert!(linked
        .iter()
        .all(|(f, billed)| f == "durable_wait" && *billed > 0));
}

#[tokio::test]
async fn a_failed_attempt_is_retried_after_its_delay_with_its_attempt_counted() {
    let e = emulator().await;
    let reply = invoke(&e, "durable_retry:1", json!({}), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!("ok on attempt 2"));
    assert_eq!(reply.header("x-amz-executed-version"), Some("1"));
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    assert!(arn.contains(":durable_retry:1/durable-execution/"), "{arn}");
    let events = history(&e, &arn).await;
    expect(
        &events,
        &[
            ("ExecutionStarted", ""),
            ("StepStarted", "1"),
            ("StepFailed", "1"),
            ("InvocationCompleted", ""),
            ("StepStarted", "1"),
            ("StepSucceeded", "1"),
            ("InvocationCompleted", ""),
            ("ExecutionSucceeded", ""),
        ],
    );
    let failed = &events[2]["StepFailedDetails"];
    assert_eq!(failed["Error"]["Payload"]["ErrorType"], "Flaky");
    assert_eq!(
        failed["RetryDetails"],
        json!({"CurrentAttempt": 1, "NextAttemptDelaySeconds": 1})
    );
    assert_eq!(
        events[5]["StepSucceededDetails"]["RetryDetails"]["CurrentAttempt"],
        2
    );
    let gap = events[4]["EventTimestamp"].as_f64().unwrap()
        - events[2]["EventTimestamp"].as_f64().unwrap();
    assert!(gap >= 1.0, "the second attempt waited its delay ({gap} s)");
}

#[tokio::test]
async fn an_invocation_that_crashes_is_recorded_and_invoked_again() {
    let e = emulator().await;
    let reply = invoke(&e, "durable_crash:$LATEST", json!({}), &[]).await;
    assert_eq!(reply.json(), json!("recovered"));
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    expect(
        &events,
        &[
            ("ExecutionStarted", ""),
            ("StepStarted", "1"),
            ("InvocationCompleted", ""),
            ("StepSucceeded", "1"),
            ("InvocationCompleted", ""),
            ("ExecutionSucceeded", ""),
        ],
    );
    assert_eq!(
        events[2]["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorType"],
        "Runtime.ExitError"
    );
    assert!(events[4]["InvocationCompletedDetails"]
        .get("Error")
        .is_none());
}

#[tokio::test]
async fn a_child_context_records_its_children_under_it() {
    let e = emulator().await;
    let reply = invoke(&e, "durable_child:$LATEST", json!({}), &[]).await;
    assert_eq!(reply.json(), json!("from the child"));
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    expect(
        &events,
        &[
            ("ExecutionStarted", ""),
            ("ContextStarted", "1"),
            ("StepStarted", "1-1"),
            ("StepSucceeded", "1-1"),
            ("ContextSucceeded", "1"),
            ("InvocationCompleted", ""),
            ("ExecutionSucceeded", ""),
        ],
    );
    assert_eq!(events[2]["ParentId"], "1");
    assert_eq!(events[4]["SubType"], "RunInChildContext");
}

#[tokio::test]
async fn a_failed_execution_answers_its_error_as_a_function_error() {
    let e = emulator().await;
    let reply = invoke(&e, "durable_fail:$LATEST", json!({}), &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(
        reply.json(),
        json!({"errorType": "Refused", "errorMessage": "no stock"})
    );
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    let last = events.last().unwrap();
    assert_eq!(last["EventType"], "ExecutionFailed");
    assert_eq!(
        last["ExecutionFailedDetails"]["Error"]["Payload"]["ErrorType"],
        "Refused"
    );
    // A handler that answers PENDING while nothing can wake it fails its execution, saying why.
    let reply = invoke(&e, "durable_stuck:$LATEST", json!({}), &[]).await;
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    assert!(
        reply.text().contains("waits on nothing"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn an_execution_name_is_an_idempotency_key_and_event_calls_answer_at_once() {
    let e = emulator().await;
    let named = [
        ("x-amz-invocation-type", "Event"),
        ("x-amz-durable-execution-name", "order-7"),
    ];
    let first = invoke(&e, "durable_wait:$LATEST", json!({"seconds": 30}), &named).await;
    assert_eq!(first.status, 202, "{}", first.text());
    let arn = first
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    assert!(arn.contains("/durable-execution/order-7/"), "{arn}");
    let again = invoke(&e, "durable_wait:$LATEST", json!({"seconds": 30}), &named).await;
    assert_eq!(
        again.header("x-amz-durable-execution-arn"),
        Some(arn.as_str())
    );
    let other = invoke(&e, "durable_wait:$LATEST", json!({"seconds": 31}), &named).await;
    assert_eq!(other.status, 409, "{}", other.text());
    assert_eq!(
        other.header("x-amzn-errortype"),
        Some("DurableExecutionAlreadyStartedException")
    );
    let described = get(&e, &format!("durable-executions/{}", encode(&arn)))
        .await
        .json();
    assert_eq!(described["Status"], "RUNNING");
    assert_eq!(described["DurableExecutionName"], "order-7");
    let listed = get(&e, "functions/durable_wait/durable-executions")
        .await
        .json();
    assert_eq!(
        listed["DurableExecutions"][0]["DurableExecutionArn"],
        json!(arn)
    );
}

#[tokio::test]
async fn bad_calls_get_the_service_errors() {
    let e = emulator().await;
    let unqualified = invoke(&e, "durable_greet", json!("x"), &[]).await;
    assert_eq!(unqualified.status, 400);
    assert!(
        unqualified.text().contains("unqualified"),
        "{}",
        unqualified.text()
    );
    let bad_name = [("x-amz-durable-execution-name", "no spaces allowed")];
    let reply = invoke(&e, "durable_greet:$LATEST", json!("x"), &bad_name).await;
    assert_eq!(reply.status, 400);
    let unknown = "arn:aws:lambda:us-east-1:000000000000:function:durable_greet:$LATEST/durable-execution/n/nope";
    let reply = get(&e, &format!("durable-executions/{}", encode(unknown))).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );
    // A finished execution takes no checkpoint, whatever the token.
    let done = invoke(&e, "durable_greet:$LATEST", json!("x"), &[]).await;
    let arn = done
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let url = format!(
        "{}/2025-12-01/durable-executions/{}/checkpoint",
        e.base,
        encode(&arn)
    );
    let body = json!({"CheckpointToken": "c3RhbGU=", "Updates": []})
        .to_string()
        .into_bytes();
    let reply = request("POST", &url, &[], body).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("InvalidParameterValueException")
    );
}

#[tokio::test]
async fn a_chained_invoke_runs_its_target_and_resumes_with_its_result() {
    let e = emulator().await;
    let input = json!({"target": "durable_greet:$LATEST", "payload": "World"});
    let reply = invoke(&e, "durable_invoker:$LATEST", input, &[]).await;
    assert_eq!(reply.json(), json!("Hello, World!"), "{}", reply.text());
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    expect(
        &events,
        &[
            ("ExecutionStarted", ""),
            ("ChainedInvokeStarted", "1"),
            ("InvocationCompleted", ""),
            ("ChainedInvokeSucceeded", "1"),
            ("InvocationCompleted", ""),
            ("ExecutionSucceeded", ""),
        ],
    );
    let started = &events[1]["ChainedInvokeStartedDetails"];
    assert_eq!(started["FunctionName"], "durable_greet:$LATEST");
    assert_eq!(started["ExecutedVersion"], "$LATEST");
    assert_eq!(
        started["Input"],
        json!({"Payload": "\"World\"", "Truncated": false})
    );
    assert_eq!(
        events[3]["ChainedInvokeSucceededDetails"]["Result"]["Payload"],
        "\"Hello, World!\""
    );
    // The durable target ran as an execution of its own, which names no parent in its ARN.
    let child = started["DurableExecutionArn"]
        .as_str()
        .expect("the target's execution");
    assert!(
        child.contains(":function:durable_greet:$LATEST/durable-execution/"),
        "{child}"
    );
    let described = get(&e, &format!("durable-executions/{}", encode(child)))
        .await
        .json();
    assert_eq!(described["Status"], "SUCCEEDED");
    assert_eq!(described["InputPayload"], "\"World\"");

    // A plain target is one invocation; a failing durable target fails the operation.
    let input = json!({"target": "plain_echo", "payload": {"a": 1}});
    let reply = invoke(&e, "durable_invoker:$LATEST", input, &[]).await;
    assert_eq!(reply.json(), json!({"a": 1}), "{}", reply.text());
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    assert!(events[1]["ChainedInvokeStartedDetails"]
        .get("DurableExecutionArn")
        .is_none());
    let input = json!({"target": "durable_fail:1", "payload": {}});
    let reply = invoke(&e, "durable_invoker:$LATEST", input, &[]).await;
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(reply.json()["errorType"], "Refused");
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    assert_eq!(events[3]["EventType"], "ChainedInvokeFailed");
    assert_eq!(
        events[3]["ChainedInvokeFailedDetails"]["Error"]["Payload"]["ErrorType"],
        "Refused"
    );
}

#[tokio::test]
async fn a_target_that_ends_during_the_invocation_is_told_after_it_or_at_its_next_checkpoint() {
    let e = emulator().await;
    // The handler stays until its target has ended, then answers PENDING: the end is recorded
    // after the invocation's InvocationCompleted, never between its checkpoint and its end.
    let input = json!({"target": "durable_greet:$LATEST", "payload": "A", "linger": "pending"});
    let reply = invoke(&e, "durable_invoker:$LATEST", input, &[]).await;
    assert_eq!(reply.json(), json!("Hello, A!"), "{}", reply.text());
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["EventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds[1..4],
        [
            "ChainedInvokeStarted",
            "InvocationCompleted",
            "ChainedInvokeSucceeded"
        ]
    );
    // With a checkpoint after the target's end, the invocation reads it there and goes on.
    let input = json!({"target": "durable_greet:$LATEST", "payload": "B", "linger": "checkpoint"});
    let reply = invoke(&e, "durable_invoker:$LATEST", input, &[]).await;
    assert_eq!(reply.json(), json!("Hello, B!"), "{}", reply.text());
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["EventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "ChainedInvokeStarted",
            "ChainedInvokeSucceeded",
            "InvocationCompleted",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn executions_are_listed_and_shown_with_their_operations_and_history() {
    let e = emulator().await;
    let reply = invoke(&e, "durable_greet:$LATEST", json!("you"), &[]).await;
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    invoke(&e, "durable_fail:$LATEST", json!({}), &[]).await;
    let list = e.admin("/_fnkit/executions").await;
    let items = list["executions"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let mut functions: Vec<&str> = items
        .iter()
        .map(|i| i["FunctionArn"].as_str().unwrap())
        .collect();
    functions.sort();
    assert!(functions[0].contains(":durable_fail:") && functions[1].contains(":durable_greet:"));
    let failed = e.admin("/_fnkit/executions?status=FAILED").await;
    assert_eq!(failed["executions"].as_array().unwrap().len(), 1);
    let one = e
        .admin(&format!("/_fnkit/executions/{}", encode(&arn)))
        .await;
    assert_eq!(one["Status"], "SUCCEEDED");
    let ops: Vec<&str> = one["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Type"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["EXECUTION", "STEP"]);
    assert_eq!(one["Events"].as_array().unwrap().len(), 5);
    let invocations = one["Invocations"].as_array().unwrap();
    assert_eq!(
        invocations.len(),
        1,
        "one invocation, from the ledger: {one}"
    );
    assert_eq!(invocations[0]["trigger"], "durable");
    assert_eq!(
        invocations[0]["request_id"],
        one["Events"][3]["InvocationCompletedDetails"]["RequestId"]
    );
    let missing = request(
        "GET",
        &format!("{}/_fnkit/executions/nope", e.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(missing.status, 404);
}

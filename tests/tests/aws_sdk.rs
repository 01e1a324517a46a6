//! The official AWS SDK for Rust (aws-sdk-s3, aws-sdk-sqs, aws-sdk-lambda), which we did not
//! write, called from inside a function under the emulator: clients made at cold start from the environment the
//! worker gets (`AWS_ENDPOINT_URL`, stand-in credentials), then S3 and SQS calls with their typed
//! errors. The same function code runs on Lambda.

use std::path::Path;

use fnkit_tests::emulator::TestEmulator;
use serde_json::json;

#[tokio::test]
async fn a_function_keeps_state_in_s3_and_sqs_through_the_aws_sdk() {
    let bin = env!("CARGO_BIN_EXE_aws_state");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let note = json!({"bucket": "notes", "key": "today/first.txt", "text": "hello from the SDK", "queue": "notes-out"});
    let reply = emulator.invoke("keep", &note).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let seen = reply.json();
    assert_eq!(seen["whole"], "hello from the SDK", "{seen}");
    assert_eq!(seen["range"], "hello", "{seen}");
    assert_eq!(seen["keys"], json!(["today/first.txt"]), "{seen}");
    assert_eq!(seen["no_such_key"], true, "{seen}");
    assert_eq!(seen["received"], "hello from the SDK", "{seen}");
    assert_eq!(seen["tenant"], "acme", "{seen}");
    assert_eq!(seen["queue_does_not_exist"], true, "{seen}");
    assert_eq!(seen["sent_md5"], seen["received_md5"], "{seen}");
    let etag = seen["etag"]
        .as_str()
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    assert_eq!(
        Some(etag.as_str()),
        seen["received_md5"].as_str(),
        "the eTag and the body's MD5 agree: {seen}"
    );
    emulator.stop().await;
}

#[tokio::test]
async fn a_function_invokes_another_through_aws_sdk_lambda() {
    let bin = env!("CARGO_BIN_EXE_aws_state");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let reply = emulator.invoke("relay", &json!("quiet please")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let seen = reply.json();
    assert_eq!(seen["status"], 200, "{seen}");
    assert_eq!(seen["answer"], "QUIET PLEASE", "{seen}");
    assert_eq!(seen["executed_version"], "$LATEST", "{seen}");
    assert_eq!(seen["event_status"], 202, "{seen}");
    assert_eq!(seen["function_error"], "Unhandled", "{seen}");
    assert_eq!(seen["error_type"], "Runtime.UnmarshalError", "{seen}");
    assert_eq!(seen["not_found"], true, "{seen}");
    // The event invocation runs too: `shout` ran three times, one of them failing.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let calls = emulator.admin("/_fnkit/invocations?function=shout").await;
        let calls = calls.as_array().cloned().unwrap_or_default();
        if calls.len() == 3 {
            let failed = calls.iter().filter(|c| c["outcome"] != "ok").count();
            assert_eq!(failed, 1, "{calls:?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{calls:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    emulator.stop().await;
}

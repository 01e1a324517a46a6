//! Async cold-start set-up (`Runtime::state_async`, `Runtime::serve` under `#[tokio::main]`) and
//! the start-up check of every function's `State<T>`, under the emulator (the Lambda path) and in
//! the HTTP mode.

use std::path::Path;
use std::time::Duration;

use fnkit_tests::emulator::TestEmulator;
use serde_json::json;

/// The `Init Duration` of the REPORT line of `request_id`, in milliseconds.
fn init_duration(log: &[String], request_id: &str) -> Option<f64> {
    let line = log
        .iter()
        .find(|l| l.contains("REPORT") && l.contains(request_id))?;
    let field = line
        .split('\t')
        .find_map(|f| f.trim().strip_prefix("Init Duration: "))?;
    field.strip_suffix(" ms")?.parse().ok()
}

#[tokio::test]
async fn state_made_at_cold_start_serves_every_call_and_counts_in_init_duration() {
    let bin = env!("CARGO_BIN_EXE_setup");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let first = emulator.invoke("pooled", &json!({})).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json(), json!({"count": 1}));
    // The same environment, warm: the task the set-up spawned is still there, and still counting.
    let second = emulator.invoke("pooled", &json!({})).await;
    assert_eq!(second.json(), json!({"count": 2}), "{}", second.text());
    let log = emulator.log();
    let id = first.header("x-amzn-requestid").unwrap();
    let init = init_duration(&log, id).unwrap_or_else(|| panic!("no Init Duration: {log:#?}"));
    // The set-up sleeps 300 ms before the first `/next`; Lambda counts it as init, so must we.
    assert!(
        init >= 300.0,
        "Init Duration {init} ms leaves out the set-up"
    );
    let warm = second.header("x-amzn-requestid").unwrap();
    assert_eq!(init_duration(&log, warm), None, "a warm call has no init");
    emulator.stop().await;
}

#[tokio::test]
async fn a_function_without_its_state_fails_its_environments_init() {
    let bin = env!("CARGO_BIN_EXE_missing_state");
    let emulator = TestEmulator::serving(Path::new(bin)).await;
    let reply = emulator.invoke("query", &json!({})).await;
    let body = reply.json();
    assert_eq!(body["errorType"], "Runtime.MissingState", "{body}");
    let message = body["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("State<missing_state::Database>") && message.contains(".state("),
        "{message}"
    );
    emulator.stop().await;
}

#[tokio::test]
async fn the_http_mode_refuses_to_start_without_a_functions_state() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_missing_state"))
        .env("FNKIT_MODE", "http")
        .env("FNKIT_HOST", "127.0.0.1")
        .env("PORT", "0")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("it exits instead of listening")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("State<missing_state::Database>"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("serving"),
        "it must not listen"
    );
}

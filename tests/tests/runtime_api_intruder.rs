//! An environment's Runtime API serves its worker and the processes the worker started, and no
//! other local process: a stranger's `GET /next` does not take an invocation, and its answers
//! are refused (issue 13, defect 2). The test process is the stranger.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fnkit_tests::emulator::{request, Reply, Served, TestEmulator};
use serde_json::json;

async fn stranger(method: &str, api: &str, path: &str) -> Reply {
    let url = format!("http://{api}/2018-06-01/runtime/{path}");
    tokio::time::timeout(
        Duration::from_secs(30),
        request(method, &url, &[], b"{}".to_vec()),
    )
    .await
    .expect("the stranger got an answer")
}

#[tokio::test]
async fn a_stranger_cannot_take_or_answer_an_invocation() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_fixtures"));
    let emulator = TestEmulator::serving(Path::new(&bin)).await;
    let api = emulator.whoami_runtime_api().await;
    // The worker is waiting on `/next`; a stranger asks too, then two calls arrive. Without the
    // check the stranger takes one of them, and that call never gets an answer.
    let taker = {
        let api = api.clone();
        tokio::spawn(async move { stranger("GET", &api, "invocation/next").await })
    };
    for _ in 0..2 {
        let reply = emulator.invoke("whoami", &json!({})).await;
        reply.assert_answered("a call the stranger may have taken");
        assert_eq!(reply.json()["env"]["AWS_LAMBDA_RUNTIME_API"], api.as_str());
    }
    let taken = taker.await.unwrap();
    assert_eq!(taken.status, 403, "{}", taken.text());
    assert_eq!(taken.json()["errorType"], "Forbidden");
    assert!(taken.header("lambda-runtime-aws-request-id").is_none());
    // Answers and init errors from a stranger are refused at the door, whatever the id.
    for path in [
        "invocation/some-id/response",
        "invocation/some-id/error",
        "init/error",
    ] {
        let forged = stranger("POST", &api, path).await;
        assert_eq!(forged.status, 403, "{path}: {}", forged.text());
        assert_eq!(forged.json()["errorType"], "Forbidden", "{path}");
    }
    let after = emulator.invoke("whoami", &json!({})).await;
    assert_eq!(after.status, 200, "{}", after.text());
    emulator.stop().await;
}

/// A runtime started by a wrapper (`sh -c 'runtime; true'`, so the shell stays the worker and
/// the runtime is its child) is served: the check looks at the worker's descendants too.
#[tokio::test]
async fn a_runtime_started_by_the_worker_is_served() {
    let official = env!("CARGO_BIN_EXE_official_hello");
    let function: fnkit_local::foreign::ForeignFunction = serde_json::from_value(json!({
        "name": "wrapped",
        "command": ["/bin/sh", "-c", format!("'{official}'; true")],
    }))
    .unwrap();
    let emulator = TestEmulator::start(vec![Served::Foreign(function)], |_| {}).await;
    for name in ["ada", "grace"] {
        let reply = emulator.invoke("wrapped", &json!({"name": name})).await;
        reply.assert_answered("the wrapped runtime");
        assert_eq!(reply.json()["message"], format!("hello, {name}"));
    }
    emulator.stop().await;
}

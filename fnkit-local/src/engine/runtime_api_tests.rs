//! The Runtime API's state machine against the Runtime Interface Emulator's rules
//! (aws-lambda-runtime-interface-emulator at 4fa2157: `internal/lambda/rapi/handler/*`,
//! `internal/lambda/core/states.go`, `internal/lambda/rapi/rendering/render_error.go`), over a
//! real socket.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

/// One HTTP/1.1 request on its own connection: the status and the body.
async fn call(address: &str, method: &str, path: &str, body: &[u8]) -> (u16, serde_json::Value) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "{method} /2018-06-01/runtime/{path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (413) before it read everything; a refused write is fine.
    let _ = stream.write_all(body).await;
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out);
    let status = text[9..12].parse().unwrap();
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or_default();
    (status, json)
}

async fn started() -> (ApiHandle, watch::Sender<bool>) {
    let (stop, shutdown) = watch::channel(false);
    let api = ApiHandle::start(shutdown).await.unwrap();
    // The test process plays the worker.
    api.serve_worker(std::process::id());
    (api, stop)
}

fn delivery(id: &str) -> Delivery {
    Delivery {
        request_id: id.to_owned(),
        payload: Bytes::from_static(b"{}"),
        deadline_ms: 0,
        function_arn: "arn".to_owned(),
        trace_id: "t".to_owned(),
        client_context: None,
    }
}

#[tokio::test]
async fn a_second_answer_is_a_forbidden_transition_and_a_stranger_id_is_invalid() {
    let (api, _stop) = started().await;
    let answer = api.deliver(delivery("req-1")).await.unwrap();
    let (status, _) = call(&api.address, "GET", "invocation/next", b"").await;
    assert_eq!(status, 200);
    let (status, _) = call(&api.address, "POST", "invocation/req-1/response", b"1").await;
    assert_eq!(status, 202);
    assert!(matches!(answer.await.unwrap(), Answer::Response(b) if &b[..] == b"1"));
    for path in ["invocation/req-1/response", "invocation/req-1/error"] {
        let (status, body) = call(&api.address, "POST", path, b"2").await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body["errorType"], "InvalidStateTransition");
        assert!(body["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("State transition is not allowed"));
    }
    let (status, body) = call(&api.address, "POST", "invocation/other/response", b"3").await;
    assert_eq!(status, 400);
    assert_eq!(body["errorType"], "InvalidRequestID");
}

#[tokio::test]
async fn an_init_error_after_init_is_a_forbidden_transition() {
    let (api, _stop) = started().await;
    let _answer = api.deliver(delivery("req-1")).await.unwrap();
    let (status, _) = call(&api.address, "GET", "invocation/next", b"").await;
    assert_eq!(status, 200);
    let (status, body) = call(&api.address, "POST", "init/error", br#"{"errorType":"X"}"#).await;
    assert_eq!(status, 403);
    assert_eq!(body["errorType"], "InvalidStateTransition");
    assert!(api.init_error().borrow().is_none());
}

#[tokio::test]
async fn an_init_error_before_init_keeps_the_posted_body() {
    let (api, _stop) = started().await;
    let posted =
        br#"{"errorType":"Runtime.HandlerNotFound","errorMessage":"m","stackTrace":["a"]}"#;
    let (status, _) = call(&api.address, "POST", "init/error", posted).await;
    assert_eq!(status, 202);
    let error = api.init_error().borrow().clone().unwrap();
    assert_eq!(error.error_type, "Runtime.HandlerNotFound");
    assert_eq!(error.body.as_deref(), Some(&posted[..]));
}

#[tokio::test]
async fn the_answer_limit_is_six_mebibytes_and_a_hundred_bytes() {
    let (api, _stop) = started().await;
    for (id, size, accepted) in [
        ("at", MAX_ANSWER_BYTES, true),
        ("over", MAX_ANSWER_BYTES + 1, false),
    ] {
        let answer = api.deliver(delivery(id)).await.unwrap();
        let (status, _) = call(&api.address, "GET", "invocation/next", b"").await;
        assert_eq!(status, 200);
        let body = vec![b'x'; size];
        let path = format!("invocation/{id}/response");
        let (status, reply) = call(&api.address, "POST", &path, &body).await;
        let got = tokio::time::timeout(Duration::from_secs(10), answer)
            .await
            .unwrap()
            .unwrap();
        if accepted {
            assert_eq!(status, 202);
            assert!(matches!(got, Answer::Response(b) if b.len() == size));
        } else {
            assert_eq!(status, 413);
            assert_eq!(reply["errorType"], "RequestEntityTooLarge");
            assert_eq!(
                reply["errorMessage"],
                "Exceeded maximum allowed payload size (6291556 bytes)."
            );
            assert!(matches!(got, Answer::TooLarge(Some(n)) if n == size as u64));
        }
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_process_that_is_not_the_worker_is_refused_and_changes_nothing() {
    let (stop, shutdown) = watch::channel(false);
    let api = ApiHandle::start(shutdown).await.unwrap();
    // The worker is another process; the test process is a stranger.
    let mut worker = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    api.serve_worker(worker.id());
    let (status, body) = call(&api.address, "GET", "invocation/next", b"").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errorType"], "Forbidden");
    assert!(
        api.ready().borrow().is_none(),
        "a stranger's /next ended init"
    );
    let _answer = api.deliver(delivery("r1")).await.unwrap();
    let (status, _) = call(&api.address, "POST", "invocation/r1/response", b"{}").await;
    assert_eq!(status, 403);
    assert!(
        api.api.in_flight.lock().unwrap().is_some(),
        "a stranger's answer was taken"
    );
    let _ = worker.kill();
    let _ = worker.wait();
    drop(stop);
}

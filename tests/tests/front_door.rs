//! The emulator's one port under requests it refuses: an oversized body gets its 413 whole, and
//! the connection is closed cleanly (`Connection: close`), so a pooled client's next call does
//! not land on a dead socket.

use std::path::PathBuf;

use fnkit_tests::emulator::TestEmulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

/// Sends one keep-alive request with `body` and reads until the server closes: the whole text.
async fn exchange(base: &str, head: &str, body: &[u8]) -> String {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "{head}\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut out),
    )
    .await
    .expect("the server closes the connection after a refusal")
    .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn an_oversized_request_gets_its_413_whole_and_the_connection_is_closed_cleanly() {
    let emulator = TestEmulator::serving(&fixtures()).await;
    // One byte over the asynchronous limit (1 MiB), then well over the synchronous one (6 MB).
    let cases = [
        ("Event", fnkit_local::MAX_ASYNC_PAYLOAD_BYTES + 1),
        ("RequestResponse", 3 * fnkit_local::MAX_RESPONSE_BYTES),
    ];
    for (kind, size) in cases {
        let head = format!(
            "POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nX-Amz-Invocation-Type: {kind}"
        );
        let mut body = vec![b'x'; size];
        body[0] = b'"';
        body[size - 1] = b'"';
        let text = exchange(&emulator.base, &head, &body).await;
        let (head, answer) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 413"), "{kind}: {head}");
        assert!(
            head.to_ascii_lowercase().contains("\r\nconnection: close"),
            "{kind}: {head}"
        );
        let error: serde_json::Value = serde_json::from_str(answer).unwrap();
        assert_eq!(error["Type"], "User", "{kind}: {error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("Request must be smaller than"),
            "{kind}: {error}"
        );
    }
    // A call within the limit is answered as ever.
    let ok = emulator.invoke("echo", &serde_json::json!({"x": 1})).await;
    assert_eq!(ok.status, 200);
}

//! The front door's connections (issue 13, defect 8): a request head that never ends and a
//! kept-alive connection left idle are closed after the header timeout; past the connection cap
//! a new connection gets a typed `503` and the emulator serves again once connections close; a
//! flood of strangers' connections to a worker's Runtime API is closed without costing the worker.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{read_until_closed, Served, TestEmulator};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

async fn emulator(max_connections: usize, header_timeout: Duration) -> TestEmulator {
    TestEmulator::start(vec![Served::Fnkit(&fixtures())], |config| {
        config.max_connections = max_connections;
        config.header_timeout = header_timeout;
    })
    .await
}

fn authority(base: &str) -> &str {
    base.trim_start_matches("http://")
}

#[tokio::test]
async fn a_head_that_never_ends_and_an_idle_connection_are_closed() {
    let emulator = emulator(4096, Duration::from_secs(1)).await;
    let address = authority(&emulator.base).to_owned();
    let mut silent = TcpStream::connect(&address).await.unwrap();
    // Slowloris: a head sent a byte at a time, never finished.
    let mut slow = TcpStream::connect(&address).await.unwrap();
    let dripping = tokio::spawn(async move {
        slow.write_all(b"GET /_fnkit/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if slow.write_all(b"X").await.is_err() {
                return true;
            }
            let mut byte = [0u8; 1];
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(100), slow.read(&mut byte)).await
            {
                return true;
            }
        }
        false
    });
    // A kept-alive connection that asked once, then went quiet.
    let mut kept = TcpStream::connect(&address).await.unwrap();
    kept.write_all(b"GET /_fnkit/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    read_until_closed(&mut silent, "a connection that sent nothing").await;
    let answered = read_until_closed(&mut kept, "an idle kept-alive connection").await;
    assert!(
        answered.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answered)
    );
    assert!(
        dripping.await.unwrap(),
        "a head sent a byte at a time was never cut off"
    );
    let reply = emulator.invoke("echo", &json!({"still": "serving"})).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    emulator.stop().await;
}

#[tokio::test]
async fn past_the_cap_a_connection_gets_503_and_serving_resumes_when_they_close() {
    // The default header timeout: the held connections stay until the test closes them, however
    // slow the machine.
    let emulator = emulator(8, Duration::from_secs(30)).await;
    let address = authority(&emulator.base).to_owned();
    // Eight connections, each shown to be served (so each holds a slot), then left open.
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"GET /_fnkit/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        held.push(stream);
    }
    let mut ninth = TcpStream::connect(&address).await.unwrap();
    ninth
        .write_all(b"GET /_fnkit/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let refused =
        String::from_utf8(read_until_closed(&mut ninth, "a refused connection").await).unwrap();
    assert!(
        refused.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{refused}"
    );
    assert!(refused.contains("Retry-After: 1\r\n"), "{refused}");
    let body: serde_json::Value =
        serde_json::from_str(refused.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("Too many open connections"));
    assert!(
        emulator
            .log()
            .iter()
            .any(|l| l.contains("8 connections are open")),
        "{:?}",
        emulator.log()
    );
    // The clients hang up: their slots come back.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = emulator
            .invoke("echo", &json!({"after": "the flood"}))
            .await;
        if reply.status == 200 {
            assert_eq!(reply.json(), json!({"after": "the flood"}));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never served again: {}",
            reply.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    emulator.stop().await;
}

#[tokio::test]
async fn a_flood_of_strangers_on_a_runtime_api_is_closed_and_the_worker_keeps_serving() {
    let emulator = emulator(4096, Duration::from_secs(1)).await;
    let api = emulator.whoami_runtime_api().await;
    let mut flood = Vec::new();
    for _ in 0..200 {
        flood.push(TcpStream::connect(&api).await.unwrap());
    }
    for _ in 0..3 {
        let reply = emulator.invoke("whoami", &json!({})).await;
        reply.assert_answered("whoami during the flood");
    }
    // Every stranger's connection is closed: at once past the bounds, or after its head timeout.
    for (i, stream) in flood.iter_mut().enumerate() {
        read_until_closed(stream, &format!("stranger {i}")).await;
    }
    emulator.stop().await;
}

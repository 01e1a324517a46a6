//! Clients that send what no SDK sends (issue 13, the suite): header floods, a 100 KiB URI, garbage instead of HTTP, and path traversal in every encoding through the upload API
//! and the S3 API. Each gets a typed refusal (or stays inside its bucket), nothing is written
//! outside the buckets, and the emulator goes on serving.

use std::path::{Path, PathBuf};

use fnkit_tests::emulator::{read_until_closed, request, signed, TestEmulator};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

/// Writes `raw` on a new connection and reads what comes back until the server closes it.
async fn raw_exchange(base: &str, raw: &[u8], what: &str) -> String {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(raw).await;
    String::from_utf8_lossy(&read_until_closed(&mut stream, what).await).into_owned()
}

async fn still_serves(emulator: &TestEmulator, after: &str) {
    let reply = emulator.invoke("echo", &json!({"after": after})).await;
    assert_eq!(reply.json(), json!({"after": after}), "after {after}");
}

#[tokio::test]
async fn floods_and_garbage_get_typed_refusals_and_the_emulator_serves_on() {
    let emulator = TestEmulator::serving(&fixtures()).await;
    let host = emulator.base.trim_start_matches("http://").to_owned();
    let many_headers: String = (0..500)
        .map(|i| format!("X-Flood-{i}: {}\r\n", "v".repeat(200)))
        .collect();
    let huge_header = format!("X-Huge: {}\r\n", "h".repeat(1 << 20));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "500 headers of 200 bytes",
            format!("GET /_fnkit/functions HTTP/1.1\r\nHost: {host}\r\n{many_headers}\r\n").into_bytes(),
            "HTTP/1.1 431",
        ),
        (
            "one 1 MiB header",
            format!("GET /_fnkit/functions HTTP/1.1\r\nHost: {host}\r\n{huge_header}\r\n").into_bytes(),
            "HTTP/1.1 431",
        ),
        (
            "a 100 KiB URI",
            format!("GET /{} HTTP/1.1\r\nHost: {host}\r\n\r\n", "p".repeat(100 << 10)).into_bytes(),
            "HTTP/1.1 414",
        ),
        ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n".to_vec(), "HTTP/1.1 400"),
        (
            "a chunked body cut short",
            format!("POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").into_bytes(),
            "HTTP/1.1 400",
        ),
    ];
    for (what, raw, expected) in cases {
        let answer = raw_exchange(&emulator.base, &raw, what).await;
        assert!(
            answer.starts_with(expected),
            "{what}: {}",
            answer.lines().next().unwrap_or("(nothing)")
        );
        still_serves(&emulator, what).await;
    }
    // Bodies that are not what the API takes.
    for (body, what) in [
        (&b"{not json"[..], "invalid JSON"),
        (&b"\xff\xfe"[..], "not UTF-8"),
    ] {
        let reply = request(
            "POST",
            &format!("{}/2015-03-31/functions/echo/invocations", emulator.base),
            &[],
            body.to_vec(),
        )
        .await;
        assert_eq!(reply.status, 400, "{what}: {}", reply.text());
        assert_eq!(reply.json()["Type"], "User", "{what}: {}", reply.text());
        still_serves(&emulator, what).await;
    }
    emulator.stop().await;
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn traversal_in_every_encoding_stays_inside_the_bucket() {
    let emulator = TestEmulator::serving(&fixtures()).await;
    let state = emulator.state_dir.clone();
    let before = files_under(&state);
    let keys = [
        "../escaped",
        "..%2fescaped",
        "%2e%2e/escaped",
        "%2e%2e%2fescaped",
        "%2E%2E%2Fescaped",
        "..%5cescaped",
        "images/../../escaped",
        "images/..%2f..%2fescaped",
        "%252e%252e/escaped",
        "images/%2e%2e/%2e%2e/escaped",
        "..%c0%afescaped",
        "%00escaped",
        "./../escaped",
    ];
    for key in keys {
        for (method, url) in [
            (
                "PUT",
                format!("{}/_fnkit/buckets/uploads/{key}", emulator.base),
            ),
            ("PUT", format!("{}/uploads/{key}", emulator.base)),
            (
                "GET",
                format!("{}/_fnkit/buckets/uploads/{key}", emulator.base),
            ),
            ("DELETE", format!("{}/uploads/{key}", emulator.base)),
        ] {
            let authorization = signed("s3");
            let headers: &[(&str, &str)] = if url.contains("/_fnkit/") {
                &[]
            } else {
                &[
                    ("authorization", &authorization),
                    ("x-amz-date", "20261128T000000Z"),
                ]
            };
            let reply = request(method, &url, headers, b"payload".to_vec()).await;
            assert!(
                reply.status < 500,
                "{method} {key}: {} {}",
                reply.status,
                reply.text()
            );
        }
    }
    // Whatever was taken was stored inside the bucket; nothing appeared anywhere else.
    let after = files_under(&state);
    let outside: Vec<&String> = after
        .iter()
        .filter(|f| !before.contains(f))
        .filter(|f| {
            !f.starts_with("buckets/uploads/")
                && !f.starts_with("fnkit.db")
                && !f.starts_with("tmp/")
        })
        .collect();
    assert!(
        outside.is_empty(),
        "written outside the bucket: {outside:?}"
    );
    let parent = state.parent().unwrap();
    assert!(
        !parent.join("escaped").exists()
            && !state.join("escaped").exists()
            && !state.join("buckets/escaped").exists()
    );
    still_serves(&emulator, "traversal").await;
    emulator.stop().await;
}

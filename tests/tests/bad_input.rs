//! Bad input gets a typed answer and touches nothing (issue 13, defect 10): an object key that
//! is not UTF-8 once percent-decoded (`%ff` and `%fe` would both decode to `\u{fffd}` and name
//! one object), a payload with invalid UTF-8 inside a string or a lone surrogate escape, and an
//! object key with a newline, which cannot forge a second log line.

use std::path::{Path, PathBuf};

use fnkit_tests::emulator::{request, Served, TestEmulator};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

async fn start() -> TestEmulator {
    let bin = fixtures();
    TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], |_| {}).await
}

#[tokio::test]
async fn keys_that_are_not_utf8_are_refused_and_stored_nowhere() {
    let emulator = start().await;
    let base = &emulator.base;
    for key in ["a%ff", "a%fe"] {
        let url = format!("{base}/_fnkit/buckets/uploads/{key}");
        let put = request("PUT", &url, &[], b"x".to_vec()).await;
        assert_eq!(put.status, 400, "{key}: {}", put.text());
    }
    let bucket = emulator.state_dir.join("buckets/uploads");
    let stored: Vec<_> = std::fs::read_dir(&bucket)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(stored.is_empty(), "{stored:?}");
}

#[tokio::test]
async fn a_payload_with_invalid_utf8_in_a_string_or_a_lone_surrogate_is_refused() {
    let emulator = start().await;
    let url = format!("{}/2015-03-31/functions/echo/invocations", emulator.base);
    let refused: [&[u8]; 3] = [
        b"{\"a\":\"\xff\"}",
        br#"{"a":"\ud800"}"#,
        br#"{"a":"\udc00 after"}"#,
    ];
    for body in refused {
        let reply = request("POST", &url, &[], body.to_vec()).await;
        assert_eq!(reply.status, 400, "{:?}: {}", body, reply.text());
        assert_eq!(reply.json()["Type"], "User", "{}", reply.text());
        assert!(
            reply.text().contains("InvalidRequestContentException"),
            "{}",
            reply.text()
        );
    }
    // A surrogate pair is one character: taken.
    let pair = request("POST", &url, &[], br#"{"a":"\ud83d\ude00"}"#.to_vec()).await;
    assert_eq!(pair.status, 200, "{}", pair.text());
    assert_eq!(pair.json()["a"], "\u{1f600}");
}

#[tokio::test]
async fn a_key_with_a_newline_is_one_log_line() {
    let emulator = start().await;
    let url = format!(
        "{}/_fnkit/buckets/uploads/images/a%0A%5Bhello%5D%20REPORT",
        emulator.base
    );
    let put = request("PUT", &url, &[], b"x".to_vec()).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let log = emulator.log();
    let line = log
        .iter()
        .find(|l| l.contains("uploads/images/a"))
        .unwrap_or_else(|| panic!("{log:#?}"));
    assert!(line.contains("a\\n[hello] REPORT"), "{line}");
    assert!(
        !log.iter().any(|l| l.starts_with("[hello] REPORT")),
        "no forged line: {log:#?}"
    );
}

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

/// The upload temporaries in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".fnkit-upload-"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_upload_whose_client_hangs_up_mid_body_leaves_no_temporary_file() {
    use tokio::io::AsyncWriteExt as _;
    let emulator = start().await;
    let dir = emulator.state_dir.join("buckets/uploads/images");
    std::fs::create_dir_all(&dir).unwrap();
    let address = emulator.base.trim_start_matches("http://").to_owned();
    let mut client = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PUT /uploads/images/big.bin HTTP/1.1\r\nHost: {address}\r\nAuthorization: {}\r\n\
         x-amz-date: 20261128T120000Z\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n\
         Content-Length: {}\r\n\r\n",
        fnkit_tests::emulator::signed("s3"),
        8 * 1024 * 1024
    );
    client.write_all(head.as_bytes()).await.unwrap();
    // A part of the body, until the upload's temporary file is there; then the client hangs up.
    let chunk = vec![b'z'; 64 * 1024];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while temporaries(&dir).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no upload started");
        client.write_all(&chunk).await.unwrap();
    }
    drop(client);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !temporaries(&dir).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "left behind: {:?}",
            temporaries(&dir)
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!dir.join("big.bin").exists(), "no object from half a body");
}

#[tokio::test]
async fn an_upload_a_crash_cut_short_leaves_nothing_after_the_next_start() {
    let buckets = fnkit_tests::emulator::temp_dir("buckets");
    let dir = buckets.join("uploads/images/deep");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".fnkit-upload-0123"), b"half").unwrap();
    std::fs::write(dir.join("kept.txt"), b"an object").unwrap();
    let bin = fixtures();
    let b = buckets.clone();
    let emulator = TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], move |c| {
        c.buckets_dir = Some(b);
    })
    .await;
    // Once it answers, its start-up scan is over.
    emulator.admin("/_fnkit/functions").await;
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    assert!(dir.join("kept.txt").exists());
    assert!(
        emulator
            .log()
            .iter()
            .any(|l| l.contains("removed 1 unfinished upload")),
        "{:#?}",
        emulator.log()
    );
}

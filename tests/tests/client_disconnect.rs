//! A client that hangs up (issue 13, defect 6): the call it made runs to its end and is logged
//! (END, REPORT), billed and recorded, as Lambda runs and bills an invocation whose client
//! disconnected; the emulator does not kill the worker.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{temp_dir, Served, TestEmulator};
use serde_json::json;
use tokio::io::AsyncWriteExt as _;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

/// Waits (up to 30 s) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_call_whose_client_hangs_up_runs_to_its_end_and_is_billed() {
    let bin = fixtures();
    let emulator = TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], |_| {}).await;
    let dir = temp_dir("gate");
    let (started, release) = (dir.join("started"), dir.join("release"));
    let body = json!({"started": started, "release": release}).to_string();
    let address = emulator.base.trim_start_matches("http://").to_owned();
    let mut client = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /2015-03-31/functions/gate/invocations HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    client.write_all(request.as_bytes()).await.unwrap();
    until("the call to start", || started.exists()).await;
    // The client hangs up with the call in flight; then the function is let go.
    drop(client);
    std::fs::write(&release, b"go").unwrap();
    let mut row = serde_json::Value::Null;
    let deadline = Instant::now() + Duration::from_secs(30);
    while row.is_null() {
        assert!(
            Instant::now() < deadline,
            "no ledger row: {:#?}",
            emulator.log()
        );
        let rows = emulator.admin("/_fnkit/invocations?function=gate").await;
        row = rows
            .as_array()
            .and_then(|r| r.first())
            .cloned()
            .unwrap_or_default();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(row["outcome"], "ok", "{row}");
    assert!(row["billed_ms"].as_f64().unwrap_or(0.0) > 0.0, "{row}");
    let id = row["request_id"].as_str().unwrap().to_owned();
    let log = emulator.log();
    for line in [
        format!("END RequestId: {id}"),
        format!("REPORT RequestId: {id}"),
    ] {
        assert!(log.iter().any(|l| l.contains(&line)), "{line}: {log:#?}");
    }
}

//! A function's output (issue 13, defect 4): invalid UTF-8 is forwarded with replacement
//! characters and reading goes on, so the worker's later output (and its `println!`) still
//! works; a line longer than 256 KiB is cut there and says so.

use std::path::{Path, PathBuf};

use fnkit_tests::emulator::{Served, TestEmulator};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

#[tokio::test]
async fn invalid_utf8_and_an_overlong_line_neither_stop_the_output_nor_the_worker() {
    let bin = fixtures();
    let emulator = TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], |_| {}).await;
    for n in [1, 2] {
        let reply = emulator.invoke("noisy", &json!({"n": n})).await;
        assert_eq!(reply.status, 200, "call {n}: {}", reply.text());
        assert_eq!(
            reply.header("x-amz-function-error"),
            None,
            "call {n}: {}",
            reply.text()
        );
    }
    let log = emulator.log();
    let has = |needle: &str| log.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(has("\u{fffd}\u{fffd} not utf-8"), 2, "{log:#?}");
    assert_eq!(has("after 1"), 1, "{log:#?}");
    assert_eq!(has("after 2"), 1, "{log:#?}");
    let cut: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("[fnkit-local: line cut at 262144 bytes]"))
        .collect();
    assert_eq!(cut.len(), 2, "one cut line per call");
    // The line, its request id and its marker: 256 KiB of it, not 3 MiB.
    assert!(
        cut.iter().all(|l| l.len() < 256 * 1024 + 200),
        "cut to 256 KiB"
    );
}

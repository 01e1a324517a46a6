//! `fnkit-local --log-format json`: every line it writes to stdout, from the banner to the
//! summary at shutdown, is one JSON object a machine can read, and a function's lines carry the
//! function, the request id and the level.

use std::process::Stdio;
use std::time::Duration;

use fnkit_tests::emulator::{request, temp_dir};
use fnkit_tests::example_bin;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// The next line of stdout, which must be JSON (within 60 s).
async fn next(lines: &mut Lines) -> Value {
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("a line within 60 s")
        .expect("stdout reads")
        .expect("fnkit-local is still running");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// Reads lines into `seen` until one passes `done`; returns its message.
async fn until(lines: &mut Lines, seen: &mut Vec<Value>, done: impl Fn(&str) -> bool) -> String {
    loop {
        let line = next(lines).await;
        let message = line["message"].as_str().unwrap_or_default().to_owned();
        seen.push(line);
        if done(&message) {
            return message;
        }
    }
}

#[tokio::test]
async fn with_json_logs_every_line_is_an_object_with_function_request_id_and_level() {
    let state = temp_dir("json-logs");
    let mut child = tokio::process::Command::new(example_bin("fnkit-local"))
        .args([
            "--port",
            "0",
            "--no-schedules",
            "--log-format",
            "json",
            "--bin",
        ])
        .arg(example_bin("fixtures"))
        .arg("--state-dir")
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("fnkit-local starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen: Vec<Value> = Vec::new();
    let serving = until(&mut lines, &mut seen, |m| m.contains("on http://")).await;
    let base = serving[serving.find("on http://").unwrap() + 3..]
        .trim()
        .to_owned();
    let url = format!("{base}/2015-03-31/functions/fail/invocations");
    let reply = request("POST", &url, &[], b"{}".to_vec()).await;
    let id = reply
        .header("x-amzn-requestid")
        .expect("a request id")
        .to_owned();
    until(&mut lines, &mut seen, |m| m.starts_with("REPORT ")).await;
    let of_call: Vec<&Value> = seen
        .iter()
        .filter(|l| l["request_id"] == id.as_str())
        .collect();
    let worker = of_call
        .iter()
        .find(|l| l["source"] == "worker")
        .expect("the worker's line");
    assert_eq!(
        (&worker["function"], &worker["level"]),
        (&Value::from("fail"), &Value::from("ERROR")),
        "{worker}"
    );
    assert!(
        worker["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{worker}"
    );
    let platform = of_call.iter().filter(|l| l["source"] == "platform").count();
    assert_eq!(
        platform, 3,
        "START, END and REPORT carry the request id: {of_call:?}"
    );

    // The summary at shutdown is JSON too.
    let pid = child.id().expect("running").to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let summary = until(&mut lines, &mut seen, |m| m.contains("stopped. This run:")).await;
    assert!(summary.starts_with("fnkit-local: stopped"), "{summary}");
    let _ = std::fs::remove_dir_all(&state);
}

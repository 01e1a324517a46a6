//! `fnkit-local invoke` and `fnkit-local replay`, run as a user runs them, against an emulator
//! serving one function of each kind (tests/src/bin/replayed.rs): an invocation that failed
//! under one build replays against the next, which its payload reaches unchanged.

use std::process::Output;
use std::time::Duration;

use fnkit_tests::emulator::{request, temp_dir, Served, TestEmulator};
use fnkit_tests::example_bin;
use serde_json::{json, Value};

/// `fnkit-local <args>`, run to its end.
async fn cli(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(example_bin("fnkit-local"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("fnkit-local runs");
    let mut input = child.stdin.take().expect("piped");
    input.write_all(stdin.unwrap_or_default()).await.unwrap();
    drop(input);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("fnkit-local ends within 60 s")
        .expect("its output");
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Starts the fixtures with `ANSWER=answer` on the ledger in `state`.
async fn serving(state: &std::path::Path, answer: &str) -> TestEmulator {
    let bin = example_bin("replayed");
    TestEmulator::start(vec![Served::Fnkit(&bin)], |c| {
        c.state_dir = state.to_owned();
        c.env = vec![("ANSWER".to_owned(), answer.to_owned())];
    })
    .await
}

/// The request id of `function`'s newest invocation, once there is one (within 30 s).
async fn newest(e: &TestEmulator, function: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows = e
            .admin(&format!("/_fnkit/invocations?function={function}"))
            .await;
        if let Some(id) = rows[0]["request_id"].as_str() {
            return id.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{function} never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_failed_call_of_each_kind_replays_against_the_fixed_build() {
    let state = temp_dir("replay");
    let broken = serving(&state, "broken").await;
    let base = broken.base.clone();
    let http = request("GET", &format!("{base}/greet/ada"), &[], Vec::new()).await;
    assert_eq!(http.status, 500, "{}", http.text());
    let event = broken.invoke("price", &json!({"sku": "tea"})).await;
    assert_eq!(event.header("x-amz-function-error"), Some("Unhandled"));
    let sent = request(
        "POST",
        &format!("{base}/_fnkit/queues/picks/messages"),
        &[],
        br#"[{"sku":"mint"}]"#.to_vec(),
    )
    .await;
    assert!(sent.status < 300, "{}", sent.text());
    let put = request(
        "PUT",
        &format!("{base}/_fnkit/buckets/scans/in/a.txt"),
        &[],
        b"hi".to_vec(),
    )
    .await;
    assert!(put.status < 300, "{}", put.text());
    let mut calls = Vec::new();
    for (function, saw) in [
        ("greet", "ada"),
        ("price", "tea"),
        ("pick", "mint"),
        ("scan", "in/a.txt"),
    ] {
        calls.push((function, saw, newest(&broken, function).await));
    }
    broken.stop().await;

    // The next build (here: the same binary told the bug is fixed) on the same ledger.
    let fixed = serving(&state, "fixed").await;
    for (function, saw, id) in calls {
        let out = cli(&["replay", &id, "--endpoint", &fixed.base], None).await;
        let shown = text(&out.stdout);
        assert!(
            out.status.success(),
            "replay {function}: {shown}{}",
            text(&out.stderr)
        );
        let outcome = shown
            .lines()
            .find(|l| l.starts_with("outcome"))
            .unwrap_or_default();
        let words: Vec<&str> = outcome.split_whitespace().collect();
        assert_eq!(
            words,
            ["outcome", "error", "(Broken)", "ok"],
            "{function}: {shown}"
        );
        // The payload reached the new build as it reached the old one.
        assert!(
            shown.contains(&format!("fixed: {saw}")),
            "{function}: {shown}"
        );
        assert!(
            shown.contains(&format!("broken on {saw}")),
            "{function}: {shown}"
        );
        // Its log was kept, though its caller did not ask for it: START to REPORT, with what
        // the worker had written by the time it answered as far as it was read by then.
        let original_log = shown.split("original log:").nth(1).unwrap_or_default();
        assert!(
            original_log.contains(&format!("REPORT RequestId: {id}")),
            "{function}: {shown}"
        );
        let row = &fixed
            .admin(&format!("/_fnkit/invocations?function={function}"))
            .await[0];
        assert_eq!(
            (row["trigger"].as_str(), row["outcome"].as_str()),
            (Some("replay"), Some("ok"))
        );
    }
}

#[tokio::test]
async fn invoke_prints_the_response_and_the_report_line_for_each_kind() {
    let state = temp_dir("invoke");
    let e = serving(&state, "fine").await;
    let endpoint = ["--endpoint", e.base.as_str()];
    let gateway = json!({"version": "2.0", "routeKey": "GET /greet/{name}", "rawPath": "/greet/ada",
        "rawQueryString": "", "headers": {}, "pathParameters": {"name": "ada"},
        "requestContext": {"http": {"method": "GET", "path": "/greet/ada"}}, "isBase64Encoded": false});
    let sqs = json!({"Records": [{"messageId": "m1", "body": "{\"sku\":\"mint\"}",
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:picks"}]});
    // AWS's own example notification (one of aws_lambda_events' fixtures).
    let s3 = fnkit_tests::aws_example_event("example-s3-event.json");
    let file = state.join("sqs.json");
    std::fs::write(&file, sqs.to_string()).unwrap();
    let at_file = format!("@{}", file.display());
    let cases: [(&str, String, Option<Vec<u8>>, &str); 4] = [
        ("price", r#"{"sku":"tea"}"#.to_owned(), None, "fine: tea"),
        ("greet", gateway.to_string(), None, "fine: ada"),
        ("pick", at_file, None, "fine: mint"),
        ("scan", "@-".to_owned(), Some(s3), "fine: Happy Face.jpg"),
    ];
    for (function, payload, stdin, answer) in cases {
        let mut args = vec!["invoke", function, payload.as_str()];
        args.extend(endpoint);
        let out = cli(&args, stdin.as_deref()).await;
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{function}: {stdout}{stderr}");
        // The answer (or, for the kinds that answer nothing, the log) holds what it saw.
        assert!(
            stdout.contains(answer) || stderr.contains(answer),
            "{function}: {stdout}{stderr}"
        );
        let report = stderr.lines().last().unwrap_or_default();
        assert!(
            report.starts_with("REPORT RequestId: ") && report.contains("Billed Duration: "),
            "{function}: {stderr}"
        );
    }
    // A function's failure exits 1 with its error on stdout; a refusal exits 2 with the reason.
    let out = cli(
        &["invoke", "price", r#"{"no":"sku"}"#, "--endpoint", &e.base],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("errorType"),
        "{}",
        text(&out.stdout)
    );
    let out = cli(&["invoke", "nope", "--endpoint", &e.base], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Function not found"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn replay_says_why_it_cannot_run_a_call_again() {
    let state = temp_dir("unreplayable");
    let bin = example_bin("replayed");
    let e = TestEmulator::start(vec![Served::Fnkit(&bin)], |c| {
        c.state_dir = state.clone();
        c.env = vec![("ANSWER".to_owned(), "fine".to_owned())];
        c.record_max_bytes = 20;
    })
    .await;
    let small = e.invoke("price", &json!({"sku": "tea"})).await;
    let large = e
        .invoke(
            "price",
            &json!({"sku": "a much longer name than twenty bytes"}),
        )
        .await;
    for (reply, status, reason) in [
        (&small, 200, ""),
        (&large, 409, "more than the 20 bytes recorded"),
    ] {
        let id = reply
            .header("x-amzn-requestid")
            .expect("a request id")
            .to_owned();
        let replay = request(
            "POST",
            &format!("{}/_fnkit/invocations/{id}/replay", e.base),
            &[],
            Vec::new(),
        )
        .await;
        assert_eq!(replay.status, status, "{}", replay.text());
        let body: Value = replay.json();
        if status == 200 {
            assert_eq!(body["original"]["request"], r#"{"sku":"tea"}"#);
            assert_eq!(body["replay"]["response"], body["original"]["response"]);
        } else {
            assert!(
                body["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(reason),
                "{body}"
            );
        }
    }
    let out = cli(&["replay", "no-such-request", "--endpoint", &e.base], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no invocation no-such-request"),
        "{}",
        text(&out.stderr)
    );
}

//! The dashboard's page and its live feed, over real sockets: the page is served with a policy
//! that lets it load nothing from elsewhere, and `/_fnkit/events` streams the build's state, each
//! invocation and each log line as server-sent events, and ends when the emulator stops (so
//! draining never waits for a browser). The page itself is driven in Chromium by
//! scripts/check-dashboard.sh.

use std::time::Duration;

use fnkit_tests::emulator::{read_until_closed, request, TestEmulator};
use fnkit_tests::example_bin;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_page_is_served_with_a_policy_that_loads_nothing_from_elsewhere() {
    let e = TestEmulator::serving(&example_bin("fixtures")).await;
    let page = request("GET", &format!("{}/_fnkit/", e.base), &[], Vec::new()).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("default-src 'none'") && policy.contains("script-src 'self'"),
        "{policy}"
    );
    assert!(page
        .text()
        .contains(r#"<script type="module" src="/_fnkit/ui/app.js">"#));
    for (path, kind) in [
        ("ui/app.js", "text/javascript"),
        ("ui/style.css", "text/css"),
    ] {
        let file = request("GET", &format!("{}/_fnkit/{path}", e.base), &[], Vec::new()).await;
        assert_eq!(file.status, 200, "{path}");
        assert!(
            file.header("content-type")
                .unwrap_or_default()
                .starts_with(kind),
            "{path}"
        );
    }
    let bare = request("GET", &format!("{}/_fnkit", e.base), &[], Vec::new()).await;
    assert_eq!(
        (bare.status, bare.header("location")),
        (308, Some("/_fnkit/"))
    );
}

/// Reads the stream into `got` until `wanted` has come.
async fn read_until(stream: &mut tokio::net::TcpStream, got: &mut String, wanted: &str) {
    read_until_done(stream, got, wanted, |got| got.contains(wanted)).await;
}

/// Reads the stream into `got` until `done` says so (`wanted` names it in a failure).
async fn read_until_done(
    stream: &mut tokio::net::TcpStream,
    got: &mut String,
    wanted: &str,
    done: impl Fn(&str) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut buffer = [0u8; 4096];
    while !done(got) {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("no {wanted:?} within 30 s; got {got}"))
            .expect("the stream reads");
        assert!(n > 0, "the stream ended before {wanted:?}; got {got}");
        got.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
}

/// The JSON of each `event: <kind>` frame in `got`.
fn events(got: &str, kind: &str) -> Vec<serde_json::Value> {
    got.split(&format!("event: {kind}\ndata: "))
        .skip(1)
        .filter_map(|rest| serde_json::from_str(rest.lines().next()?).ok())
        .collect()
}

#[tokio::test]
async fn the_live_feed_streams_invocations_and_log_lines_and_ends_at_shutdown() {
    // The fixtures' longest timeout is 900 s: a drain that waited for the stream would be seen.
    let e = TestEmulator::serving(&example_bin("fixtures")).await;
    let address = e.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "GET /_fnkit/events HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut got = String::new();
    read_until(
        &mut stream,
        &mut got,
        "data: {\"state\":\"serving\",\"generation\":1}\n\n",
    )
    .await;
    assert!(got.contains("content-type: text/event-stream"), "{got}");

    let reply = e.invoke("whoami", &serde_json::json!({})).await;
    reply.assert_answered("whoami");
    let id = reply
        .header("x-amzn-requestid")
        .expect("a request id")
        .to_owned();
    read_until(&mut stream, &mut got, &format!("REPORT RequestId: {id}")).await;
    // The invocation's frame: its ledger row.
    let recorded = |r: &serde_json::Value| {
        r["request_id"] == id.as_str() && r["function"] == "whoami" && r["outcome"] == "ok"
    };
    read_until_done(&mut stream, &mut got, "the invocation", |got| {
        events(got, "invocation").iter().any(recorded)
    })
    .await;
    // The worker's line carries its request id (it may come after the invocation's frame).
    let said =
        |l: &serde_json::Value| l["request_id"] == id.as_str() && l["line"] == "whoami was called";
    read_until_done(&mut stream, &mut got, "the worker's line", |got| {
        events(got, "log").iter().any(said)
    })
    .await;

    // Stopping the emulator ends the stream instead of waiting for it.
    let stopping = tokio::spawn(e.stop());
    read_until_closed(&mut stream, "the live feed").await;
    tokio::time::timeout(Duration::from_secs(30), stopping)
        .await
        .expect("the emulator stops with a live stream open")
        .unwrap();
}

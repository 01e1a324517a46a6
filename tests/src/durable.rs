//! Helpers of the durable-service tests: an emulator serving the raw-protocol handlers of
//! `src/bin/durable_raw.rs` as durable functions, and the calls the tests make to it.

use std::path::Path;
use std::time::{Duration, Instant};

use fnkit::manifest::DurableConfig;
use serde_json::{json, Value};

use crate::emulator::{request, Reply, Served, TestEmulator};

/// An emulator serving `bin` (the `durable_raw` fixture) with every function durable but those
/// named `plain_...`.
pub async fn emulator(bin: &Path) -> TestEmulator {
    let mut manifest = fnkit_local::build::describe(bin).expect("the fixture describes itself");
    for f in manifest
        .functions
        .iter_mut()
        .filter(|f| !f.name.starts_with("plain_"))
    {
        f.durable = Some(DurableConfig {
            execution_timeout_secs: 120,
            retention_days: 1,
        });
    }
    TestEmulator::start(vec![Served::WithManifest(bin, manifest)], |_| {}).await
}

/// A path label, percent-encoded as the AWS SDKs encode it.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `Invoke` of `target` with `input`.
pub async fn invoke(
    e: &TestEmulator,
    target: &str,
    input: Value,
    headers: &[(&str, &str)],
) -> Reply {
    let url = format!("{}/2015-03-31/functions/{target}/invocations", e.base);
    request("POST", &url, headers, input.to_string().into_bytes()).await
}

/// `GET /2025-12-01/{path}`.
pub async fn get(e: &TestEmulator, path: &str) -> Reply {
    request(
        "GET",
        &format!("{}/2025-12-01/{path}", e.base),
        &[],
        Vec::new(),
    )
    .await
}

/// The execution's history events.
pub async fn history(e: &TestEmulator, arn: &str) -> Vec<Value> {
    let reply = get(e, &format!("durable-executions/{}/history", encode(arn))).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["Events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `(EventType, Id)` of each event, checking EventIds run 1, 2, 3, ...
pub fn kinds(events: &[Value]) -> Vec<(String, String)> {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["EventId"], json!(i + 1), "dense event ids: {e}");
        let details = format!("{}Details", e["EventType"].as_str().unwrap());
        assert!(
            e.get(&details).is_some(),
            "every event carries {details}: {e}"
        );
    }
    events
        .iter()
        .map(|e| {
            (
                e["EventType"].as_str().unwrap().to_owned(),
                e["Id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Checks the history is exactly `expected`, `(EventType, Id)` by event.
pub fn expect(events: &[Value], expected: &[(&str, &str)]) {
    let got = kinds(events);
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        got,
        want,
        "history: {}",
        serde_json::to_string_pretty(events).unwrap()
    );
}

/// Polls `arn`'s history until an event of `kind` appears (within 60 s).
pub async fn until_event(e: &TestEmulator, arn: &str, kind: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let events = history(e, arn).await;
        if events.iter().any(|ev| ev["EventType"] == kind) {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} within 60 s: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts an execution with an `Event` invocation; returns its ARN.
pub async fn start_event(e: &TestEmulator, target: &str, input: Value) -> String {
    let reply = invoke(e, target, input, &[("x-amz-invocation-type", "Event")]).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned()
}

/// `POST durable-execution-callbacks/{id}/{action}` with `body`.
pub async fn callback_call(e: &TestEmulator, id: &str, action: &str, body: &str) -> Reply {
    let url = format!(
        "{}/2025-12-01/durable-execution-callbacks/{}/{action}",
        e.base,
        encode(id)
    );
    request("POST", &url, &[], body.as_bytes().to_vec()).await
}

/// The ledger's rows (function, billed ms) of execution `arn`'s invocations, joined through the
/// `durable_invocations` view, once there are `n` (the ledger's writer records a row just after
/// its invocation answers) or after 10 s.
pub async fn ledger_rows(e: &TestEmulator, arn: &str, n: usize) -> Vec<(String, i64)> {
    let db = rusqlite::Connection::open(e.state_dir.join("fnkit.db")).expect("the ledger opens");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rows: Vec<(String, i64)> = db
            .prepare(
                "SELECT i.function, i.billed_ms FROM invocations i \
                 JOIN durable_invocations d USING (request_id) WHERE d.arn = ?1 ORDER BY d.event_id",
            )
            .expect("the view exists")
            .query_map([arn], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("the query runs")
            .collect::<Result<_, _>>()
            .expect("rows read");
        if rows.len() >= n || std::time::Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

//! The HTTP mode (Knative, Cloud Run, OpenFaaS): the fixtures binary started with `PORT`, driven
//! by the official CloudEvents SDK (`cloudevents-sdk`) as the client, in binary and structured
//! mode, plus plain HTTP routes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cloudevents::binding::http::{Builder, Serializer};
use cloudevents::message::{BinaryDeserializer, StructuredDeserializer};
use cloudevents::{EventBuilder, EventBuilderV10};
use fnkit_tests::emulator::{request, temp_dir, Reply};
use serde_json::json;
use tokio::process::Child;

/// Collects what the SDK's serializer writes: headers and body.
#[derive(Default)]
struct Collect {
    headers: Vec<(String, String)>,
}

impl Builder<(Vec<(String, String)>, Vec<u8>)> for Collect {
    fn header(&mut self, key: &str, value: http::HeaderValue) {
        self.headers
            .push((key.to_owned(), value.to_str().unwrap().to_owned()));
    }
    fn body(
        &mut self,
        bytes: Vec<u8>,
    ) -> cloudevents::message::Result<(Vec<(String, String)>, Vec<u8>)> {
        Ok((std::mem::take(&mut self.headers), bytes))
    }
    fn finish(&mut self) -> cloudevents::message::Result<(Vec<(String, String)>, Vec<u8>)> {
        self.body(Vec::new())
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Binary,
    Structured,
}

/// Sends a CloudEvent, serialized by the SDK, to `url`.
async fn send(url: &str, event: cloudevents::Event, mode: Mode) -> Reply {
    let (headers, body) = match mode {
        Mode::Binary => {
            BinaryDeserializer::deserialize_binary(event, Serializer::new(Collect::default()))
        }
        Mode::Structured => StructuredDeserializer::deserialize_structured(
            event,
            Serializer::new(Collect::default()),
        ),
    }
    .expect("the SDK serializes the event");
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    request("POST", url, &headers, body).await
}

fn event(id: &str, ty: &str, data: serde_json::Value) -> cloudevents::Event {
    EventBuilderV10::new()
        .id(id)
        .source("https://tests.fnkit.dev/http_mode")
        .ty(ty)
        .time(chrono_now())
        .data("application/json", data)
        .build()
        .expect("a valid CloudEvent")
}

fn chrono_now() -> String {
    "2026-11-27T10:00:00Z".to_owned()
}

async fn start(out: &std::path::Path) -> (Child, String) {
    start_with(out, &[]).await
}

/// Starts the fixtures binary in HTTP mode with extra environment variables.
async fn start_with(out: &std::path::Path, env: &[(&str, &str)]) -> (Child, String) {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_fixtures"));
    let mut command = fnkit_tests::process::http_mode(bin);
    command.envs(env.iter().copied()).env("FIXTURE_OUT", out);
    fnkit_tests::process::serving(command).await.drained()
}

// long: one server, every kind of delivery it takes, each checked once.
#[tokio::test]
async fn cloudevents_in_both_modes_and_http_routes_are_served_on_port() {
    let out = temp_dir("http-mode").join("out.txt");
    let (_server, base) = start(&out).await;

    // Plain HTTP functions on their routes.
    let item = request("GET", &format!("{base}/items/a%20b"), &[], Vec::new()).await;
    assert_eq!(item.status, 200);
    assert_eq!(item.json(), json!({"id": "a b"}));
    let missing = request("GET", &format!("{base}/nothing"), &[], Vec::new()).await;
    assert_eq!(missing.status, 404);

    // An `event` function takes the data, in either mode.
    for mode in [Mode::Binary, Mode::Structured] {
        let reply = send(
            &format!("{base}/echo"),
            event("e1", "dev.fnkit.test", json!({"n": 7})),
            mode,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.json(), json!({"n": 7}));
    }

    // A storage event from Google Cloud Storage.
    let gcs = event(
        "s1",
        "google.cloud.storage.object.v1.finalized",
        json!({"bucket": "uploads", "name": "images/x y.png", "size": "12", "md5Hash": "abc"}),
    );
    assert_eq!(
        send(&format!("{base}/record_upload"), gcs, Mode::Binary)
            .await
            .status,
        200
    );
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("images/x y.png\t12\tCreated\tabc"));
    // `record_upload` takes `images/` only: another object is acknowledged, and not run (a
    // Knative Trigger cannot filter on a key's prefix, so the HTTP mode applies it).
    let other = event(
        "s2",
        "google.cloud.storage.object.v1.finalized",
        json!({"bucket": "uploads", "name": "docs/readme.txt", "size": "3"}),
    );
    let skipped = send(&format!("{base}/record_upload"), other, Mode::Binary).await;
    assert_eq!(skipped.status, 200, "{}", skipped.text());
    assert!(skipped.json()["skipped"].is_string(), "{}", skipped.text());
    assert!(!std::fs::read_to_string(&out)
        .unwrap()
        .contains("docs/readme.txt"));

    // A queue message: a failure reported by the function fails the delivery.
    let good = send(
        &format!("{base}/orders"),
        event("q1", "dev.fnkit.order", json!({"qty": 1})),
        Mode::Structured,
    )
    .await;
    assert_eq!(good.status, 200, "{}", good.text());
    let bad = send(
        &format!("{base}/orders"),
        event("q2", "dev.fnkit.order", json!({"qty": 0})),
        Mode::Structured,
    )
    .await;
    assert_eq!(bad.status, 500);
    assert_eq!(bad.json()["errorType"], "BatchItemFailure");

    // A schedule tick from a Knative PingSource.
    let ping = send(
        &format!("{base}/tick"),
        event("p1", "dev.knative.sources.ping", json!({})),
        Mode::Binary,
    )
    .await;
    assert_eq!(ping.status, 200, "{}", ping.text());
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("tick\tp1\t"));
}

#[tokio::test]
async fn malformed_events_get_400_and_a_failed_message_500() {
    let out = temp_dir("http-mode").join("out.txt");
    let (_server, base) = start(&out).await;

    let no_source = request(
        "POST",
        &format!("{base}/echo"),
        &[
            ("ce-id", "1"),
            ("ce-type", "t"),
            ("ce-specversion", "1.0"),
            ("content-type", "application/json"),
        ],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(no_source.status, 400);
    assert!(no_source.json()["errorMessage"]
        .as_str()
        .unwrap()
        .contains("source"));
    let not_json = request(
        "POST",
        &format!("{base}/echo"),
        &[("content-type", "application/cloudevents+json")],
        b"{oops".to_vec(),
    )
    .await;
    assert_eq!(not_json.status, 400);
    let wrong_shape = send(
        &format!("{base}/orders"),
        event("x", "t", json!({"qty": "many"})),
        Mode::Binary,
    )
    .await;
    assert_eq!(
        wrong_shape.status,
        500,
        "a body that is not an Order fails that message: {}",
        wrong_shape.text()
    );
}

/// The lines the fixtures recorded so far.
fn recorded(out: &PathBuf) -> Vec<String> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Waits (at most 20 s, polling) until the fixtures recorded `line`.
async fn until_recorded(out: &PathBuf, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !recorded(out).iter().any(|l| l == line) {
        assert!(
            Instant::now() < deadline,
            "never recorded {line:?}: {:?}",
            recorded(out)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn linger(id: &str, ms: u64) -> cloudevents::Event {
    event(id, "t", json!({"id": id, "ms": ms}))
}

#[tokio::test]
async fn over_its_concurrency_a_function_answers_429() {
    let out = temp_dir("http-mode").join("out.txt");
    let (_server, base) = start(&out).await;
    // `linger` has concurrency 1: while c1 is in flight (it says so), c2 is refused.
    let b = base.clone();
    let first = tokio::spawn(async move {
        send(&format!("{b}/linger"), linger("c1", 1500), Mode::Binary).await
    });
    until_recorded(&out, "linger started c1").await;
    let second = send(&format!("{base}/linger"), linger("c2", 1), Mode::Binary).await;
    assert_eq!(second.status, 429);
    assert_eq!(first.await.unwrap().status, 200);
    assert!(recorded(&out).contains(&"linger finished c1".to_owned()));
}

#[tokio::test]
async fn a_timed_out_handler_is_stopped_and_its_slot_comes_back() {
    let out = temp_dir("http-mode").join("out.txt");
    let (_server, base) = start(&out).await;
    // Asked to sleep a minute, past its 2 s timeout: 504, and the handler is stopped.
    let started = Instant::now();
    let timed_out = send(
        &format!("{base}/linger"),
        linger("t1", 60_000),
        Mode::Binary,
    )
    .await;
    assert_eq!(timed_out.status, 504);
    assert_eq!(timed_out.json()["errorType"], "Sandbox.Timedout");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    until_recorded(&out, "linger dropped t1").await;
    // Once it stopped, its one slot comes back (the slot is released just after the handler's
    // future is dropped, so wait for it rather than race it).
    let deadline = Instant::now() + Duration::from_secs(20);
    let next = loop {
        let next = send(&format!("{base}/linger"), linger("t2", 1), Mode::Binary).await;
        if next.status != 429 || Instant::now() > deadline {
            break next;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(next.status, 200, "{}", next.text());
    assert!(!recorded(&out).contains(&"linger finished t1".to_owned()));
}

#[tokio::test]
async fn a_caller_that_goes_away_stops_its_handler() {
    let out = temp_dir("http-mode").join("out.txt");
    let (_server, base) = start(&out).await;
    let b = base.clone();
    let caller = tokio::spawn(async move {
        send(&format!("{b}/linger"), linger("g1", 60_000), Mode::Binary).await
    });
    until_recorded(&out, "linger started g1").await;
    caller.abort(); // the client's connection closes mid-request
    until_recorded(&out, "linger dropped g1").await;
}

#[tokio::test]
async fn a_handler_that_never_yields_keeps_its_slot_after_its_timeout() {
    let out = temp_dir("http-mode").join("out.txt");
    let (_server, base) = start(&out).await;
    let spin = json!({"spin": true});
    let first = send(
        &format!("{base}/spin_one"),
        event("s1", "t", spin.clone()),
        Mode::Binary,
    )
    .await;
    assert_eq!(first.status, 504);
    // It cannot be stopped in-process, so it still holds its one slot: no second copy runs.
    let second = send(
        &format!("{base}/spin_one"),
        event("s2", "t", spin),
        Mode::Binary,
    )
    .await;
    assert_eq!(second.status, 429, "{}", second.text());
    // The rest of the process still serves.
    let echo = send(
        &format!("{base}/echo"),
        event("e", "t", json!({"ok": 1})),
        Mode::Binary,
    )
    .await;
    assert_eq!(echo.json(), json!({"ok": 1}));
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_then_exits() {
    let out = temp_dir("http-mode").join("out.txt");
    let (mut server, base) = start(&out).await;
    let b = base.clone();
    let in_flight = tokio::spawn(async move {
        send(&format!("{b}/linger"), linger("d1", 1000), Mode::Binary).await
    });
    until_recorded(&out, "linger started d1").await;
    let pid = server.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let reply = in_flight.await.unwrap();
    assert_eq!(
        reply.status,
        200,
        "the request in flight is answered: {}",
        reply.text()
    );
    assert!(recorded(&out).contains(&"linger finished d1".to_owned()));
    let status = tokio::time::timeout(Duration::from_secs(20), server.wait())
        .await
        .expect("the server exits after draining")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_head_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let out = temp_dir("http-mode").join("out.txt");
    let (_server, base) = start_with(&out, &[("FNKIT_HEADER_TIMEOUT_SECS", "1")]).await;
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /items/1 HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection stayed open");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed before the timeout"
    );
    // hyper answers a timed-out head with 408 (or just closes); never with the function's answer.
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

#[tokio::test]
async fn a_cpu_bound_handler_gets_504_at_its_timeout_and_the_server_keeps_serving() {
    let out = temp_dir("http-mode").join("out.txt");
    let (_server, base) = start(&out).await;
    // `spin` loops without yielding past its 1 s timeout.
    let started = Instant::now();
    let spun = send(
        &format!("{base}/spin"),
        event("t1", "t", json!({"spin": true})),
        Mode::Binary,
    )
    .await;
    assert_eq!(spun.status, 504);
    assert_eq!(spun.json()["errorType"], "Sandbox.Timedout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered at the timeout: {:?}",
        started.elapsed()
    );
    let after = send(
        &format!("{base}/echo"),
        event("e2", "t", json!({"still": "serving"})),
        Mode::Binary,
    )
    .await;
    assert_eq!(after.json(), json!({"still": "serving"}));
}

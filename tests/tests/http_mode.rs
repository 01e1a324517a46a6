//! The HTTP mode (Knative, Cloud Run, OpenFaaS): the fixtures binary started with `PORT`, driven
//! by the official CloudEvents SDK (`cloudevents-sdk`) as the client, in binary and structured
//! mode, plus plain HTTP routes.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use cloudevents::binding::http::{Builder, Serializer};
use cloudevents::message::{BinaryDeserializer, StructuredDeserializer};
use cloudevents::{EventBuilder, EventBuilderV10};
use fnkit_tests::emulator::{request, temp_dir, Reply};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

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

async fn start(out: &PathBuf) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixtures"))
        .env("PORT", "0")
        .env("FNKIT_HOST", "127.0.0.1")
        .env("FIXTURE_OUT", out)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.find("on http://") {
                return line[at + 3..].trim().to_owned();
            }
        }
        panic!("the binary exited before serving");
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

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
async fn malformed_events_get_400_overload_429_and_timeouts_504() {
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

    // `slow` has concurrency 1.
    let b = base.clone();
    let first = tokio::spawn(async move {
        send(
            &format!("{b}/slow"),
            event("c1", "t", json!({"ms": 1500})),
            Mode::Binary,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = send(
        &format!("{base}/slow"),
        event("c2", "t", json!({"ms": 1})),
        Mode::Binary,
    )
    .await;
    assert_eq!(second.status, 429);
    assert_eq!(first.await.unwrap().status, 200);

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

//! The HTTP mode's routes: a request reaches its handler as API Gateway v2 would have passed it
//! (without the event being written), its response comes back as the handler made it, and the
//! function's limits hold as for CloudEvents (tests/tests/http_mode.rs).

use std::time::{Duration, Instant};

use fnkit_tests::emulator::request;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;

async fn start() -> (Child, String) {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_fixtures"));
    fnkit_tests::process::serving(fnkit_tests::process::http_mode(bin))
        .await
        .drained()
}

#[tokio::test]
async fn http_routes_get_the_request_as_sent_and_raw_handlers_the_v2_event() {
    let (_server, base) = start().await;
    // The request reaches the handler and its response comes back as they were: status,
    // content type, the cookie it set, the body.
    let created = request(
        "POST",
        &format!("{base}/items"),
        &[("content-type", "application/json")],
        br#"{"sku":"a","qty":2}"#.to_vec(),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("set-cookie"), Some("seen=1; Path=/"));
    assert_eq!(created.json(), json!({"sku": "a", "qty": 2}));
    // An error with a status is that status, with the JSON error body.
    let bad = request("POST", &format!("{base}/items"), &[], b"not json".to_vec()).await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(bad.json()["errorType"], "BadRequest", "{}", bad.text());
    // A handler that takes `fnkit::raw::ApiGatewayV2httpRequest` gets the event API Gateway
    // would have sent for the route.
    let raw = request(
        "GET",
        &format!("{base}/raw/x%20y?a=1&b=2"),
        &[("x-tag", "t1")],
        Vec::new(),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    assert_eq!(
        raw.json(),
        json!({"routeKey": "GET /raw/{what}", "rawPath": "/raw/x%20y", "rawQueryString": "a=1&b=2", "what": "x y", "tag": "t1"})
    );
}

#[tokio::test]
async fn a_route_gets_the_request_as_api_gateway_passes_it() {
    let (_server, base) = start().await;
    // Repeated headers joined by commas, the cookies in one header, as a v2 event gives them.
    let seen = request(
        "GET",
        &format!("{base}/seen?x=1"),
        &[
            ("x-multi", "a"),
            ("x-multi", "b"),
            ("cookie", "a=1"),
            ("cookie", "b=2"),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(
        seen.json(),
        json!({"uri": "/seen?x=1", "version": "HTTP/1.1", "multi": ["a,b"], "cookie": ["a=1; b=2"]})
    );
    // A request target in absolute form reaches the handler as the path and query.
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = "GET http://example.com/seen?y=2 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""uri":"/seen?y=2""#), "{answer}");
    // HEAD reaches the GET route, and is answered without a body.
    let head = request("HEAD", &format!("{base}/items/1"), &[], Vec::new()).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn a_route_past_its_timeout_gets_504_and_its_handler_is_stopped() {
    let (_server, base) = start().await;
    let started = Instant::now();
    let slow = request("GET", &format!("{base}/seen?sleep"), &[], Vec::new()).await;
    assert_eq!(slow.status, 504, "{}", slow.text());
    assert_eq!(slow.json()["errorType"], "Sandbox.Timedout");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered at the 1 s timeout, not after the handler's 30 s: {:?}",
        started.elapsed()
    );
    let after = request("GET", &format!("{base}/seen"), &[], Vec::new()).await;
    assert_eq!(after.status, 200, "{}", after.text());
}

//! The ways in: HTTP triggers through the gateway, the AWS Invoke API, the admin API, and a
//! function built with the official `lambda_runtime` crate instead of fnkit.

use std::path::{Path, PathBuf};

use fnkit_tests::emulator::{entry, request, Served, TestEmulator};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

async fn start() -> TestEmulator {
    let bin = fixtures();
    TestEmulator::serving(Path::new(&bin)).await
}

#[tokio::test]
async fn http_routes_reach_their_functions_with_path_parameters() {
    let emulator = start().await;
    let reply = request(
        "GET",
        &format!("{}/items/a%20b", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.json(), json!({"id": "a b"}));
    assert!(reply.header("apigw-requestid").is_some());

    let created = request(
        "POST",
        &format!("{}/items", emulator.base),
        &[("content-type", "application/json")],
        br#"{"name":"widget"}"#.to_vec(),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json(), json!({"name": "widget"}));
    assert_eq!(created.header("set-cookie"), Some("seen=1; Path=/"));
}

#[tokio::test]
async fn a_bad_body_is_a_400_from_the_function_and_an_unknown_route_a_404_listing_routes() {
    let emulator = start().await;
    let bad = request(
        "POST",
        &format!("{}/items", emulator.base),
        &[],
        b"not json".to_vec(),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["errorType"], "BadRequest");

    let missing = request(
        "GET",
        &format!("{}/nothing/here", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(missing.status, 404);
    let routes: Vec<String> = missing.json()["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert!(
        routes.contains(&"GET /items/{id} -> get_item".to_owned()),
        "{routes:?}"
    );
    assert!(
        routes.contains(&"POST /items -> post_item".to_owned()),
        "{routes:?}"
    );

    let wrong_method = request(
        "DELETE",
        &format!("{}/items/1", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(wrong_method.status, 404);
}

#[tokio::test]
async fn the_invoke_api_answers_as_aws_does() {
    let emulator = start().await;
    let ok = emulator.invoke("echo", &json!({"a": 1})).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-amz-executed-version"), Some("$LATEST"));
    assert!(ok.header("x-amz-function-error").is_none());

    let failed = emulator.invoke("fail", &json!({})).await;
    assert_eq!(
        failed.status, 200,
        "a function error is still a 200 from the Invoke API"
    );
    assert_eq!(failed.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(
        failed.json(),
        json!({"errorType": "OrderRejected", "errorMessage": "the order was rejected"})
    );

    let unknown = emulator.invoke("nope", &json!({})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );

    let by_arn = request(
        "POST",
        &format!("{}/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aecho/invocations", emulator.base),
        &[],
        b"{\"b\":2}".to_vec(),
    )
    .await;
    assert_eq!(by_arn.json(), json!({"b": 2}));

    let too_big = request(
        "POST",
        &format!("{}/2015-03-31/functions/echo/invocations", emulator.base),
        &[],
        format!("\"{}\"", "x".repeat(fnkit_local::MAX_RESPONSE_BYTES)).into_bytes(),
    )
    .await;
    assert_eq!(too_big.status, 413);
    assert_eq!(
        too_big.header("x-amzn-errortype"),
        Some("RequestEntityTooLargeException")
    );
}

#[tokio::test]
async fn an_answer_over_6_mb_is_refused_as_lambda_does() {
    let emulator = start().await;
    let fine = emulator.invoke("big", &json!({"n": 1000})).await;
    assert_eq!(fine.json().as_str().map(str::len), Some(1000));
    let big = emulator.invoke("big", &json!({"n": 7 * 1024 * 1024})).await;
    assert_eq!(big.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(big.json()["errorType"], "Function.ResponseSizeTooLarge");
    let after = emulator.invoke("big", &json!({"n": 3})).await;
    assert_eq!(after.json(), json!("xxx"), "the worker goes on serving");
}

#[tokio::test]
async fn an_event_invocation_is_accepted_with_202_and_runs_in_the_background() {
    let emulator = start().await;
    let accepted = request(
        "POST",
        &format!("{}/2015-03-31/functions/counter/invocations", emulator.base),
        &[("x-amz-invocation-type", "Event")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(accepted.status, 202);
    assert!(accepted.body.is_empty());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rows = emulator.admin("/_fnkit/invocations?function=counter").await;
        if rows
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["outcome"] == "ok")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the event invocation never ran"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        emulator.invoke("counter", &json!({})).await.json(),
        json!(2),
        "the background call ran in the same warm worker"
    );
}

#[tokio::test]
async fn a_function_built_with_the_official_lambda_runtime_crate_runs_unchanged() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_official_hello"));
    let manifest: fnkit::manifest::Manifest = serde_json::from_value(json!({
        "manifest_version": 1,
        "fnkit_version": "0.1.0",
        "functions": [{
            "name": "official", "trigger": {"type": "event"}, "timeout_secs": 3, "memory_mb": 128,
            "concurrency": null, "retries": 2, "source": {"file": "official_hello.rs", "line": 1, "module": "official"}
        }]
    }))
    .unwrap();
    let emulator = TestEmulator::start(vec![Served::WithManifest(&bin, manifest)], |_| {}).await;
    for name in ["ada", "grace"] {
        let reply = emulator.invoke("official", &json!({"name": name})).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply.header("x-amz-function-error").is_none(),
            "{}",
            reply.text()
        );
        let body = reply.json();
        assert_eq!(body["message"], format!("hello, {name}"));
        assert_eq!(
            body["request_id"],
            reply.header("x-amzn-requestid").unwrap()
        );
    }
}

/// The official-runtime binary as an HTTP function on `ANY /official/{what}`.
async fn official_route() -> TestEmulator {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_official_hello"));
    let manifest: fnkit::manifest::Manifest = serde_json::from_value(json!({
        "manifest_version": 1,
        "fnkit_version": "0.1.0",
        "functions": [{
            "name": "official", "trigger": {"type": "http", "method": "ANY", "path": "/official/{what}"},
            "timeout_secs": 3, "memory_mb": 128, "concurrency": null, "retries": 2,
            "source": {"file": "official_hello.rs", "line": 1, "module": "official"}
        }]
    }))
    .unwrap();
    TestEmulator::start(vec![Served::WithManifest(&bin, manifest)], |_| {}).await
}

#[tokio::test]
async fn the_v2_event_reads_as_api_gateway_writes_it() {
    let emulator = official_route().await;
    let reply = request(
        "POST",
        &format!("{}/official/event?tag=a&tag=b&q=x%20y", emulator.base),
        &[],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    // Read with aws_lambda_events' own type, not fnkit's builder.
    let event: fnkit::raw::ApiGatewayV2httpRequest =
        serde_json::from_value(answer["event"].clone()).unwrap();
    assert_eq!(event.route_key.as_deref(), Some("ANY /official/{what}"));
    assert_eq!(
        event.request_context.route_key.as_deref(),
        Some("ANY /official/{what}")
    );
    assert_eq!(event.path_parameters["what"], "event");
    // Repeated keys are joined with commas, which aws_lambda_events splits again.
    assert_eq!(answer["event"]["queryStringParameters"]["tag"], "a,b");
    assert_eq!(
        event.query_string_parameters.all("tag"),
        Some(vec!["a", "b"])
    );
    assert_eq!(event.query_string_parameters.first("q"), Some("x y"));
    // API Gateway's request id is the one it answers in `apigw-requestid`; the Lambda request
    // id is another.
    let gateway_id = reply.header("apigw-requestid").unwrap();
    assert_eq!(
        event.request_context.request_id.as_deref(),
        Some(gateway_id)
    );
    assert_ne!(answer["request_id"], gateway_id);
    assert_eq!(
        answer["request_id"],
        reply.header("x-amzn-requestid").unwrap()
    );
}

#[tokio::test]
async fn answers_are_read_as_api_gateway_v2_reads_them() {
    let emulator = official_route().await;
    let plain = request(
        "GET",
        &format!("{}/official/string", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.text(),
        "plain text",
        "a JSON string is the body, unquoted"
    );
    let multi = request(
        "GET",
        &format!("{}/official/multi", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(multi.status, 201);
    assert_eq!(multi.header("x-single"), Some("one"));
    assert_eq!(
        multi.header("x-multi"),
        None,
        "multiValueHeaders is not a v2 field"
    );
    assert_eq!(multi.text(), "multi");
}

#[tokio::test]
async fn the_admin_api_lists_functions_with_urls_and_serves_prometheus_metrics() {
    let emulator = start().await;
    let functions = emulator.admin("/_fnkit/functions").await;
    let item = entry(&functions, "name", "get_item");
    assert_eq!(item["url"], format!("GET {}/items/{{id}}", emulator.base));
    assert_eq!(item["trigger"]["type"], "http");
    let slow = entry(&functions, "name", "slow");
    assert_eq!(slow["concurrency"], 1);

    let _ = emulator.invoke("echo", &json!({})).await;
    let _ = emulator.invoke("fail", &json!({})).await;
    let metrics = request(
        "GET",
        &format!("{}/_fnkit/metrics", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(
        metrics.header("content-type"),
        Some("text/plain; version=0.0.4")
    );
    let text = metrics.text();
    assert!(
        text.contains("fnkit_invocations_total{function=\"echo\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("fnkit_invocations_total{function=\"fail\",outcome=\"error\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("fnkit_cold_starts_total{function=\"echo\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE fnkit_duration_milliseconds histogram"),
        "{text}"
    );
}

#[test]
fn a_binary_that_never_calls_fnkit_run_is_named_with_the_fix() {
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_no_run"));
    let config = fnkit_local::Config {
        state_dir: fnkit_tests::emulator::temp_dir("no-run"),
        ..fnkit_local::Config::default()
    };
    let err = fnkit_local::Emulator::builder()
        .config(config)
        .binary(&bin)
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("no_run"), "names the binary: {err}");
    assert!(
        err.contains("call `fnkit::run()`"),
        "says what to call: {err}"
    );
    assert!(err.contains("in its `main`"), "{err}");
}

//! The function side of the Lambda Runtime API: real fnkit binaries, started as processes with
//! `AWS_LAMBDA_RUNTIME_API` pointing at an endpoint on 127.0.0.1, answering real event shapes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fnkit_tests::runtime_api::{Outcome, RuntimeApi};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

fn fixtures_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

const WAIT: Duration = Duration::from_secs(20);

fn start(bin: &Path, api: &RuntimeApi, handler: &str, envs: &[(&str, &str)]) -> Child {
    Command::new(bin)
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("_HANDLER", handler)
        .env("AWS_LAMBDA_FUNCTION_NAME", handler)
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the function binary starts")
}

async fn answer(api: &RuntimeApi, payload: Value) -> Outcome {
    let id = api.push(serde_json::to_vec(&payload).unwrap());
    api.outcome(&id, WAIT)
        .await
        .unwrap_or_else(|| panic!("no answer to {payload}"))
}

fn api_gateway_v2(method: &str, path: &str, query: &str) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "GET /hello/{name}",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": ["session=abc"],
        "headers": {"accept": "text/plain", "host": "api.example.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api-id", "domainName": "api.example.com",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
            "requestId": "id", "routeKey": "GET /hello/{name}", "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64
        },
        "pathParameters": {"name": path.rsplit('/').next().unwrap()},
        "isBase64Encoded": false
    })
}

#[tokio::test]
async fn http_event_is_answered_in_the_v2_response_shape() {
    let api = RuntimeApi::start().await;
    let _worker = start(&fnkit_tests::example_bin("hello"), &api, "hello", &[]);
    let id =
        api.push(serde_json::to_vec(&api_gateway_v2("GET", "/hello/ada", "greeting=hi")).unwrap());
    let Some(Outcome::Response(body)) = api.outcome(&id, WAIT).await else {
        panic!("no response")
    };
    assert_eq!(body["statusCode"], 200);
    assert_eq!(body["headers"]["content-type"], "text/plain; charset=utf-8");
    assert_eq!(body["body"], format!("hi, ada! (request {id})\n"));
    assert_eq!(body["isBase64Encoded"], false);
    assert!(
        body["cookies"].is_array(),
        "v2 responses carry `cookies`: {body}"
    );
    assert!(
        api.protocol_errors().is_empty(),
        "{:?}",
        api.protocol_errors()
    );
}

#[tokio::test]
async fn http_error_with_a_status_is_a_response_not_a_failure() {
    let api = RuntimeApi::start().await;
    let _worker = start(&fnkit_tests::example_bin("hello"), &api, "hello", &[]);
    let long = "x".repeat(65);
    let Outcome::Response(body) =
        answer(&api, api_gateway_v2("GET", &format!("/hello/{long}"), "")).await
    else {
        panic!("an error with a status must be a response")
    };
    assert_eq!(body["statusCode"], 400);
    let error: Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
    assert_eq!(error["errorType"], "BadRequest");
}

#[tokio::test]
async fn s3_event_reaches_the_storage_function_with_its_key_url_decoded() {
    let dir = fnkit_tests::emulator::temp_dir("s3");
    let out = dir.join("uploads.txt");
    let _ = std::fs::remove_file(&out);
    let api = RuntimeApi::start().await;
    let _worker = start(
        &fixtures_bin(),
        &api,
        "record_upload",
        &[("FIXTURE_OUT", out.to_str().unwrap())],
    );
    let event = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-27T10:00:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "EXAMPLE"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
               "bucket": {"name": "uploads", "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": "arn:aws:s3:::uploads"},
               "object": {"key": "images/my+holiday+photo%281%29%C3%A9.png", "size": 1024, "eTag": "abc", "sequencer": "0A"}}
    }]});
    assert_eq!(answer(&api, event).await, Outcome::Response(Value::Null));
    let seen = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        seen,
        "images/my holiday photo(1)é.png\t1024\tCreated\tabc\n"
    );
}

#[tokio::test]
async fn sqs_batch_is_answered_with_batch_item_failures() {
    let api = RuntimeApi::start().await;
    let _worker = start(&fixtures_bin(), &api, "orders", &[]);
    let record = |id: &str, body: &str| {
        json!({
            "messageId": id, "receiptHandle": "rh", "body": body,
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders", "awsRegion": "us-east-1"
        })
    };
    let batch = json!({"Records": [
        record("m1", r#"{"qty": 2}"#),
        record("m2", r#"{"qty": 0}"#),
        record("m3", "not json"),
        record("m4", r#"{"qty": 5}"#),
    ]});
    let Outcome::Response(body) = answer(&api, batch).await else {
        panic!("a batch answer")
    };
    let mut failed: Vec<&str> = body["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    failed.sort_unstable();
    assert_eq!(
        failed,
        ["m2", "m3"],
        "the handler's failure and the undecodable body: {body}"
    );
}

#[tokio::test]
async fn malformed_event_is_a_typed_error_and_the_handler_is_not_called() {
    let dir = fnkit_tests::emulator::temp_dir("bad");
    let out = dir.join("never.txt");
    let _ = std::fs::remove_file(&out);
    let api = RuntimeApi::start().await;
    let _worker = start(
        &fixtures_bin(),
        &api,
        "record_upload",
        &[("FIXTURE_OUT", out.to_str().unwrap())],
    );
    let Outcome::Error {
        error_type_header,
        body,
    } = answer(&api, json!({"hello": "not an S3 event"})).await
    else {
        panic!("a malformed event must be an /error")
    };
    assert_eq!(body["errorType"], "Runtime.UnmarshalError");
    assert_eq!(error_type_header.as_deref(), Some("Runtime.UnmarshalError"));
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("storage event"),
        "{body}"
    );
    assert!(!out.exists(), "the handler ran on a malformed event");
}

#[tokio::test]
async fn panic_is_an_error_response_and_the_process_keeps_serving() {
    let api = RuntimeApi::start().await;
    let mut worker = start(&fixtures_bin(), &api, "echo", &[]);
    let Outcome::Error { body, .. } = answer(&api, json!({"panic": "boom"})).await else {
        panic!("a panic must be an /error")
    };
    assert_eq!(body["errorType"], "Runtime.Panic");
    assert!(body["errorMessage"].as_str().unwrap().contains("boom"));
    assert_eq!(
        answer(&api, json!({"after": 1})).await,
        Outcome::Response(json!({"after": 1}))
    );
    assert!(worker.try_wait().unwrap().is_none(), "the process died");
}

#[tokio::test]
async fn unknown_handler_is_reported_through_init_error() {
    let api = RuntimeApi::start().await;
    let mut worker = start(&fixtures_bin(), &api, "no_such_function", &[]);
    let (header, body) = api.init_error(WAIT).await.expect("an init error");
    assert_eq!(body["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(header.as_deref(), Some("Runtime.HandlerNotFound"));
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("no_such_function") && message.contains("orders"),
        "{message}"
    );
    let status = tokio::time::timeout(WAIT, worker.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success());
}

#[tokio::test]
async fn describe_prints_the_manifest() {
    let output = std::process::Command::new(fixtures_bin())
        .arg("--fnkit-describe")
        .output()
        .unwrap();
    assert!(output.status.success());
    let manifest: fnkit::manifest::Manifest = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(manifest.manifest_version, fnkit::manifest::MANIFEST_VERSION);
    let names: Vec<&str> = manifest.functions.iter().map(|f| &*f.name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "functions are listed by name");
    let upload = manifest
        .functions
        .iter()
        .find(|f| f.name == "record_upload")
        .expect("record_upload is registered");
    assert_eq!(
        upload.trigger,
        fnkit::manifest::Trigger::Storage {
            bucket: "uploads".into(),
            prefix: Some("images/".into()),
            suffix: None,
            events: fnkit::manifest::StorageEvents::Created,
        }
    );
}

//! Conformance with the event shapes AWS sends: every relevant JSON fixture shipped in the
//! published `aws_lambda_events` crate goes through the matching trigger's decoder, via the same
//! decode → handler → encode path as production, and the answer has the shape its origin expects.
//! (Function URLs send the HTTP API 2.0 payload, covered by the v2 fixtures.)

use std::path::PathBuf;
use std::sync::Mutex;

use base64::Engine as _;
use fnkit::prelude::*;
use serde_json::{json, Value};

/// The fixtures folder of the `aws_lambda_events` crate this build uses.
fn fixtures() -> PathBuf {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    let manifest = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws_lambda_events")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("aws_lambda_events is a dependency");
    PathBuf::from(manifest)
        .parent()
        .unwrap()
        .join("src/fixtures")
}

fn fixture(name: &str) -> Value {
    let path = fixtures().join(name);
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Echoes what it received; `?binary=1` answers with bytes that are not UTF-8.
#[function(trigger = http(method = "ANY", path = "/{proxy+}"))]
async fn http_echo(req: HttpRequest) -> Result<HttpResponse, Error> {
    if req.query_param("binary").is_some() {
        return Ok(http::Response::builder()
            .header("content-type", "image/png")
            .body(vec![0x89u8, b'P', b'N', b'G', 0xff, 0x00].into())?);
    }
    let summary = json!({
        "method": req.method().as_str(),
        "path": req.uri().path(),
        "query": req.uri().query(),
        "body": req.body().to_str().unwrap_or("<binary>"),
        "cookie": req.headers().get("cookie").and_then(|c| c.to_str().ok()),
        "proxy": req.path_param("proxy"),
    });
    Ok(http::Response::builder()
        .header("content-type", "application/json")
        .header("set-cookie", "a=1; Path=/")
        .header("set-cookie", "b=2; Path=/")
        .header("x-multi", "one")
        .header("x-multi", "two")
        .body(serde_json::to_vec(&summary)?.into())?)
}

static STORAGE: Mutex<Vec<StorageRecord>> = Mutex::new(Vec::new());
static TICKS: Mutex<Vec<ScheduleEvent>> = Mutex::new(Vec::new());

#[function(trigger = storage(bucket = "sourcebucket", events = "all"))]
async fn s3(event: StorageEvent) {
    STORAGE.lock().unwrap().extend(event);
}

#[function(trigger = queue(name = "q"))]
async fn sqs(batch: QueueBatch<Value>) -> BatchResult {
    batch.into_iter().map(|m| m.id).collect()
}

#[function(trigger = schedule(rate = "1 hour"))]
async fn tick(event: ScheduleEvent) {
    TICKS.lock().unwrap().push(event);
}

async fn answer(function: &str, payload: Value) -> Value {
    fnkit::testing::invoke(function, payload)
        .await
        .unwrap_or_else(|e| panic!("{function}: {e}"))
}

fn body_json(answer: &Value) -> Value {
    serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn api_gateway_v2_and_function_url_payloads_get_v2_responses() {
    for name in [
        "example-apigw-v2-request-no-authorizer.json",
        "example-apigw-v2-request-iam.json",
        "example-apigw-v2-request-jwt-authorizer.json",
        "example-apigw-v2-request-lambda-authorizer.json",
        "example-apigw-v2-request-multi-value-parameters.json",
        "example-apigw-sam-http-request.json",
    ] {
        let event = fixture(name);
        let a = answer("http_echo", event.clone()).await;
        assert_eq!(a["statusCode"], 200, "{name}: {a}");
        assert_eq!(
            a["cookies"],
            json!(["a=1; Path=/", "b=2; Path=/"]),
            "{name}: v2 sends cookies apart: {a}"
        );
        assert_eq!(
            a["headers"]["x-multi"], "one, two",
            "{name}: v2 headers are single-valued: {a}"
        );
        assert!(a["headers"].get("set-cookie").is_none(), "{name}");
        assert_eq!(a["isBase64Encoded"], false);
        let echoed = body_json(&a);
        assert_eq!(
            echoed["method"], event["requestContext"]["http"]["method"],
            "{name}"
        );
        assert_eq!(echoed["path"], event["rawPath"], "{name}");
        let query = event["rawQueryString"].as_str().filter(|q| !q.is_empty());
        assert_eq!(echoed["query"].as_str(), query, "{name}");
        if let Some(cookies) = event["cookies"].as_array().filter(|c| !c.is_empty()) {
            let joined: Vec<&str> = cookies.iter().map(|c| c.as_str().unwrap()).collect();
            assert_eq!(
                echoed["cookie"],
                joined.join("; "),
                "{name}: cookies reach the request"
            );
        }
    }
}

#[tokio::test]
async fn rest_api_v1_payloads_get_multi_value_responses() {
    for name in [
        "example-apigw-request.json",
        "example-apigw-request-multi-value-parameters.json",
        "example-apigw-sam-rest-request.json",
        "example-apigw-request-catch-all.json",
    ] {
        let event = fixture(name);
        let a = answer("http_echo", event.clone()).await;
        assert_eq!(a["statusCode"], 200, "{name}: {a}");
        assert!(a.get("cookies").is_none(), "{name}: v1 has no `cookies`");
        assert_eq!(
            a["multiValueHeaders"]["set-cookie"],
            json!(["a=1; Path=/", "b=2; Path=/"]),
            "{name}: {a}"
        );
        assert_eq!(
            a["multiValueHeaders"]["x-multi"],
            json!(["one", "two"]),
            "{name}"
        );
        let echoed = body_json(&a);
        assert_eq!(echoed["method"], event["httpMethod"], "{name}");
        assert_eq!(echoed["path"], event["path"], "{name}");
    }
    let event = fixture("example-apigw-request.json");
    let echoed = body_json(&answer("http_echo", event.clone()).await);
    assert_eq!(
        echoed["query"], "name=me",
        "query parameters are re-encoded into the URI"
    );
    assert_eq!(echoed["body"], event["body"]);
    assert_eq!(
        echoed["proxy"], event["pathParameters"]["proxy"],
        "pathParameters from the event are used"
    );
    assert_eq!(echoed["proxy"], "hello/world");
}

#[tokio::test]
async fn alb_payloads_get_alb_responses_in_their_header_mode() {
    let single = answer(
        "http_echo",
        fixture("example-alb-lambda-target-request-headers-only.json"),
    )
    .await;
    assert_eq!(single["statusCode"], 200);
    assert_eq!(single["statusDescription"], "200 OK");
    assert_eq!(single["headers"]["x-multi"], "one, two");
    assert!(
        single["multiValueHeaders"]
            .as_object()
            .is_none_or(|m| m.is_empty()),
        "{single}"
    );
    assert_eq!(body_json(&single)["query"], "key=hello");

    let multi = answer(
        "http_echo",
        fixture("example-alb-lambda-target-request-multivalue-headers.json"),
    )
    .await;
    assert_eq!(multi["statusDescription"], "200 OK");
    assert_eq!(
        multi["multiValueHeaders"]["x-multi"],
        json!(["one", "two"]),
        "{multi}"
    );
    assert_eq!(body_json(&multi)["body"], "Some text");
}

#[tokio::test]
async fn binary_bodies_travel_base64_encoded_both_ways() {
    let mut event = fixture("example-apigw-v2-request-no-authorizer.json");
    event["rawQueryString"] = json!("binary=1");
    let a = answer("http_echo", event).await;
    assert_eq!(a["isBase64Encoded"], true);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(a["body"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, [0x89, b'P', b'N', b'G', 0xff, 0x00]);

    let mut event = fixture("example-apigw-v2-request-no-authorizer.json");
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode("hello"));
    event["isBase64Encoded"] = json!(true);
    assert_eq!(
        body_json(&answer("http_echo", event).await)["body"],
        "hello"
    );
}

#[tokio::test]
async fn s3_sqs_and_eventbridge_fixtures_decode() {
    for name in [
        "example-s3-event.json",
        "example-s3-event-with-decoded.json",
    ] {
        answer("s3", fixture(name)).await;
    }
    let records = STORAGE.lock().unwrap().clone();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r.bucket, "sourcebucket");
        assert_eq!(r.key, "Happy Face.jpg", "keys are URL-decoded");
        assert_eq!(r.size, 1024);
        assert_eq!(r.change, StorageChange::Created);
        assert_eq!(r.event_name, "ObjectCreated:Put");
    }

    for name in ["example-sqs-event.json", "example-sqs-event-obj.json"] {
        let event = fixture(name);
        let ids: Vec<Value> = event["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        assert_eq!(
            answer("sqs", event).await,
            json!({"batchItemFailures": ids}),
            "{name}"
        );
    }

    answer("tick", fixture("example-eventbridge-schedule.json")).await;
    let ticks = TICKS.lock().unwrap().clone();
    assert_eq!(ticks[0].id, "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa");
    assert_eq!(
        ticks[0].resources,
        ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"]
    );

    let wrong = fnkit::testing::invoke("tick", fixture("example-s3-event.json"))
        .await
        .unwrap_err();
    assert_eq!(
        wrong.error_type(),
        "Runtime.UnmarshalError",
        "an S3 event is not a schedule"
    );
}

/// Every key path of `value` (`requestContext.http.method`; arrays as `[]`), with the free-form
/// maps (headers, parameters, attributes, details) as leaves.
fn key_paths(value: &Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    const FREE_FORM: &[&str] = &[
        "headers",
        "multiValueHeaders",
        "pathParameters",
        "queryStringParameters",
        "stageVariables",
        "attributes",
        "messageAttributes",
        "detail",
        "responseElements",
    ];
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                if !FREE_FORM.contains(&k.as_str()) {
                    key_paths(v, &path, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// The key paths of the named AWS fixtures, together.
fn aws_keys(names: &[&str]) -> std::collections::BTreeSet<String> {
    let mut keys = std::collections::BTreeSet::new();
    for name in names {
        key_paths(&fixture(name), "", &mut keys);
    }
    keys
}

/// The payloads the emulator sends are built by `fnkit::platform`; none may carry a key AWS's own
/// examples do not have (a field AWS never sends would pass locally and be missing on Lambda).
#[test]
fn the_payloads_fnkit_builds_hold_only_keys_aws_sends() {
    let ours = |v: &Value| {
        let mut keys = std::collections::BTreeSet::new();
        key_paths(v, "", &mut keys);
        keys
    };
    let request = fnkit::testing::http("POST", "/items/7?a=1&a=2&b=x")
        .header("cookie", "c=1; d=2")
        .header("content-type", "application/json")
        .body(r#"{"n":1}"#)
        .route("/items/{id}")
        .build();
    let v2 = fnkit::platform::to_v2_event(&request, Some("/items/{id}"));
    let aws = aws_keys(&[
        "example-apigw-v2-request-no-authorizer.json",
        "example-apigw-v2-request-multi-value-parameters.json",
    ]);
    let extra: Vec<_> = ours(&v2).difference(&aws).cloned().collect();
    assert!(
        extra.is_empty(),
        "v2 keys AWS does not send: {extra:?}\n{v2:#}"
    );
    assert_eq!(v2["requestContext"]["http"]["method"], "POST");
    assert_eq!(v2["routeKey"], "POST /items/{id}");
    // A route key names its own method: a POST matched by `ANY /items/{id}` is keyed `ANY`.
    let any = fnkit::platform::to_v2_event(&request, Some("ANY /items/{id}"));
    assert_eq!(any["routeKey"], "ANY /items/{id}");
    assert_eq!(any["requestContext"]["routeKey"], "ANY /items/{id}");
    assert_eq!(any["pathParameters"]["id"], "7");
    assert_eq!(v2["pathParameters"]["id"], "7");
    assert_eq!(v2["cookies"], json!(["c=1", "d=2"]));
    // `to_v2_event` reads back the bytes `to_v2_payload` writes, so the checks above cover the
    // gateway's bytes; these pin the fields a decoder reads.
    assert_eq!(v2["version"], "2.0");
    assert_eq!(v2["rawPath"], "/items/7");
    assert_eq!(v2["rawQueryString"], "a=1&a=2&b=x");
    assert_eq!(v2["headers"]["content-type"], "application/json");
    assert!(
        v2["headers"].get("cookie").is_none(),
        "cookies move to `cookies`"
    );
    assert_eq!(v2["body"], r#"{"n":1}"#);
    assert_eq!(v2["isBase64Encoded"], false);
    assert_eq!(v2["queryStringParameters"], json!({"a": "1,2", "b": "x"}));
}

/// The same for the S3, SQS and EventBridge events the emulator delivers.
#[test]
fn the_event_payloads_fnkit_builds_hold_only_keys_aws_sends() {
    let ours = |v: &Value| {
        let mut keys = std::collections::BTreeSet::new();
        key_paths(v, "", &mut keys);
        keys
    };
    let record = StorageRecord::new("uploads", "a b/c.txt", StorageChange::Created)
        .size(3)
        .etag("abc");
    let s3 = fnkit::platform::to_s3_event(&[record]);
    let extra: Vec<_> = ours(&s3)
        .difference(&aws_keys(&["example-s3-event.json"]))
        .cloned()
        .collect();
    assert!(
        extra.is_empty(),
        "S3 keys AWS does not send: {extra:?}\n{s3:#}"
    );
    assert_eq!(s3["Records"][0]["s3"]["object"]["key"], "a+b/c.txt");

    let mut message = QueueMessage::new("m1", "{}".to_owned());
    message.receive_count = 2;
    let sqs = fnkit::platform::to_sqs_event("orders", &[message]);
    let extra: Vec<_> = ours(&sqs)
        .difference(&aws_keys(&["example-sqs-event.json"]))
        .cloned()
        .collect();
    assert!(
        extra.is_empty(),
        "SQS keys AWS does not send: {extra:?}\n{sqs:#}"
    );
    assert_eq!(
        sqs["Records"][0]["attributes"]["ApproximateReceiveCount"],
        "2"
    );

    let tick = ScheduleEvent::new("e1", std::time::SystemTime::now());
    let eb = fnkit::platform::to_eventbridge_event(&tick);
    let extra: Vec<_> = ours(&eb)
        .difference(&aws_keys(&["example-eventbridge-schedule.json"]))
        .cloned()
        .collect();
    assert!(
        extra.is_empty(),
        "EventBridge keys AWS does not send: {extra:?}\n{eb:#}"
    );
    let time = eb["time"].as_str().unwrap();
    assert!(
        time.ends_with('Z') && !time.contains('.'),
        "whole seconds: {time}"
    );
}

//! Handlers that take the platform's own event type of their trigger (`fnkit::raw`), decoded from
//! the same payloads fnkit's typed events are.

use fnkit::prelude::*;
use fnkit::raw::{ApiGatewayV2httpRequest, EventBridgeEvent, S3Event, SqsEvent};
use fnkit::testing;

#[function(trigger = queue(name = "raw-orders"))]
async fn raw_queue(event: SqsEvent) -> Result<BatchResult, Error> {
    let ids: Vec<String> = event
        .records
        .iter()
        .filter_map(|m| m.message_id.clone())
        .collect();
    Err(Error::new("Seen", ids.join(",")))
}

#[function(trigger = storage(bucket = "raw-uploads"))]
async fn raw_storage(event: S3Event) -> Result<(), Error> {
    let record = &event.records[0];
    let key = record.s3.object.key.clone().unwrap_or_default();
    Err(Error::new(
        "Seen",
        format!(
            "{} {key}",
            record.s3.bucket.name.clone().unwrap_or_default()
        ),
    ))
}

#[function(trigger = schedule(rate = "5 minutes"))]
async fn raw_schedule(event: EventBridgeEvent) -> Result<(), Error> {
    Err(Error::new("Seen", event.detail_type))
}

#[function(trigger = http(method = "GET", path = "/raw/{id}"))]
async fn raw_http(request: ApiGatewayV2httpRequest) -> String {
    format!(
        "{} {}",
        request.raw_path.unwrap_or_default(),
        request.route_key.unwrap_or_default()
    )
}

async fn seen(name: &str, payload: serde_json::Value) -> String {
    let e = testing::invoke(name, payload).await.unwrap_err();
    assert_eq!(e.error_type(), "Seen", "{}", e.message());
    e.message().to_owned()
}

#[tokio::test]
async fn each_trigger_delivers_its_raw_type() {
    let sqs = testing::queue("raw-orders")
        .message_with_id("m-1", &1)
        .message_with_id("m-2", &2)
        .payload();
    assert_eq!(seen("raw_queue", sqs).await, "m-1,m-2");
    let s3 = testing::storage("raw-uploads", "a/b.txt").payload();
    assert_eq!(seen("raw_storage", s3).await, "raw-uploads a/b.txt");
    let cron = testing::schedule().payload();
    assert_eq!(seen("raw_schedule", cron).await, "Scheduled Event");
    let http = testing::http("GET", "/raw/7").route("/raw/{id}").payload();
    let answer = testing::invoke("raw_http", http).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert!(
        answer["body"].as_str().unwrap().starts_with("/raw/7 "),
        "{answer}"
    );
}

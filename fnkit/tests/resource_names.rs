//! Logical and physical resource names: with the deployment's variables set (as the template
//! sets them on AWS), `fnkit::resource` gives the physical name for SDK calls, and events name
//! the trigger's bucket and queue by the logical name. One test: it sets process variables.

use fnkit::prelude::*;
use fnkit::testing;

#[function(trigger = storage(bucket = "uploads"))]
async fn which_bucket(event: StorageEvent) -> Result<(), Error> {
    let record = event
        .into_iter()
        .next()
        .ok_or_else(|| Error::new("Empty", "no record"))?;
    Err(Error::new("Seen", record.bucket))
}

#[function(trigger = queue(name = "orders"))]
async fn which_queue(batch: QueueBatch<serde_json::Value>) -> Result<(), Error> {
    let message = batch
        .into_iter()
        .next()
        .ok_or_else(|| Error::new("Empty", "no message"))?;
    Err(Error::new("Seen", message.queue))
}

async fn seen(name: &str, payload: serde_json::Value) -> String {
    let e = testing::invoke(name, payload).await.unwrap_err();
    assert_eq!(e.error_type(), "Seen", "{}", e.message());
    e.message().to_owned()
}

#[tokio::test]
async fn physical_names_for_sdk_calls_logical_names_in_events() {
    std::env::set_var("FNKIT_BUCKET_UPLOADS", "prod-uploads-a1b2c3");
    std::env::set_var("FNKIT_QUEUE_ORDERS", "prod-orders-d4e5f6");
    assert_eq!(fnkit::resource::bucket("uploads"), "prod-uploads-a1b2c3");
    assert_eq!(fnkit::resource::queue("orders"), "prod-orders-d4e5f6");
    assert_eq!(
        fnkit::resource::function("resize"),
        "resize",
        "unset: the logical name"
    );

    let from_aws = testing::storage("prod-uploads-a1b2c3", "a.png").payload();
    assert_eq!(seen("which_bucket", from_aws).await, "uploads");
    let other = testing::storage("somebody-elses", "a.png").payload();
    assert_eq!(
        seen("which_bucket", other).await,
        "somebody-elses",
        "an unmapped name stays"
    );

    let mut sqs = testing::queue("orders").message(&1).payload();
    sqs["Records"][0]["eventSourceARN"] =
        "arn:aws:sqs:us-east-1:123456789012:prod-orders-d4e5f6".into();
    assert_eq!(seen("which_queue", sqs).await, "orders");
}

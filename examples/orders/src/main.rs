//! The orders worker: takes batches of orders from the `orders` queue, forwards the good ones to
//! the `shipments` queue through the official AWS SDK (`aws-sdk-sqs`, the code that runs unchanged
//! on Lambda), and reports the ones it cannot take, so only those are delivered again; after
//! three tries they land in `orders-dlq`.
//!
//! ```sh
//! cargo run -p fnkit-local -- --example orders
//! curl -X POST http://127.0.0.1:9000/_fnkit/queues/orders/messages \
//!      -d '[{"sku":"tea","qty":2},{"sku":"tea","qty":0},{"sku":"???","qty":1}]'
//! curl http://127.0.0.1:9000/_fnkit/queues/orders          # depth, in flight, dlq_depth
//! curl http://127.0.0.1:9000/_fnkit/queues/orders/dlq      # the two bad orders, after 3 tries
//! curl -X POST http://127.0.0.1:9000/_fnkit/queues/orders/dlq/redrive
//! # the good order, forwarded (nothing consumes `shipments`, so it waits there):
//! aws --endpoint-url http://127.0.0.1:9000 sqs receive-message \
//!     --queue-url http://127.0.0.1:9000/000000000000/shipments
//! ```

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use fnkit::prelude::*;
use serde::{Deserialize, Serialize};

/// An order as it arrives on the queue, and as it is forwarded.
#[derive(Debug, Deserialize, Serialize)]
struct Order {
    sku: String,
    qty: i64,
}

const CATALOGUE: &[&str] = &["tea", "coffee", "cocoa"];

/// Why an order cannot be taken.
fn check(order: &Order) -> Result<(), String> {
    if order.qty <= 0 {
        return Err(format!("quantity {} is not positive", order.qty));
    }
    if !CATALOGUE.contains(&order.sku.as_str()) {
        return Err(format!("unknown sku `{}`", order.sku));
    }
    Ok(())
}

/// Where taken orders go: the SQS client and the `shipments` queue's URL, found once per
/// execution environment (cold start).
#[derive(Debug)]
struct Shipments {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Shipments {
    async fn connect() -> Result<Shipments, aws_sdk_sqs::Error> {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let sqs = aws_sdk_sqs::Client::new(&config);
        // `shipments` locally; the deployed queue's generated name on AWS.
        let name = fnkit::resource::queue("shipments");
        let found = sqs.get_queue_url().queue_name(name).send().await?;
        let url = found.queue_url.unwrap_or_default();
        Ok(Shipments { sqs, url })
    }
}

/// Forwards the good orders in one SendMessageBatch (which takes at most 10 entries, hence
/// `batch_size = 10`); names the bad ones, and any the batch send refused, in
/// `batchItemFailures`, so only those are delivered again.
#[function(
    trigger = queue(name = "orders", batch_size = 10, window = "1s", max_receive_count = 3),
    uses = [queue("shipments")],
    timeout = "10s"
)]
async fn take_orders(
    batch: QueueBatch<Order>,
    shipments: State<Shipments>,
) -> Result<BatchResult, Error> {
    let mut result = BatchResult::ok();
    let mut entries = Vec::new();
    for message in batch {
        if let Err(why) = check(&message.body) {
            println!(
                "refused {} (try {}): {why}",
                message.id, message.receive_count
            );
            result.fail(message.id);
            continue;
        }
        // An entry's id need only be unique within the call; the message id is (and is the
        // UUID form SQS accepts), so a failed entry names the message to deliver again.
        let entry = SendMessageBatchRequestEntry::builder()
            .id(&message.id)
            .message_body(serde_json::to_string(&message.body)?)
            .build()?;
        entries.push(entry);
    }
    if entries.is_empty() {
        return Ok(result);
    }
    let sent = shipments
        .sqs
        .send_message_batch()
        .queue_url(&shipments.url)
        .set_entries(Some(entries))
        .send()
        .await?;
    for ok in &sent.successful {
        println!("forwarded {} as {}", ok.id, ok.message_id);
    }
    for failed in sent.failed {
        println!("not forwarded {}: {}", failed.id, failed.code);
        result.fail(failed.id);
    }
    Ok(result)
}

fn main() {
    fnkit::Runtime::new()
        .try_state_async(Shipments::connect())
        .run()
}

// The worker itself runs against the emulator's SQS in tests/tests/examples.rs (orders sent
// through SQS, the good one received from `shipments`, the bad ones in `orders-dlq`).
#[cfg(test)]
mod tests {
    use super::*;

    fn order(sku: &str, qty: i64) -> Order {
        Order {
            sku: sku.into(),
            qty,
        }
    }

    #[test]
    fn takes_only_positive_quantities_of_known_skus() {
        assert_eq!(check(&order("tea", 2)), Ok(()));
        assert_eq!(
            check(&order("tea", 0)),
            Err("quantity 0 is not positive".into())
        );
        assert_eq!(check(&order("???", 1)), Err("unknown sku `???`".into()));
    }
}

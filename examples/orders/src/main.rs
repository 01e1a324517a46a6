//! The orders worker: takes batches of orders from the `orders` queue and reports the ones it
//! cannot take, so only those are delivered again; after three tries they land in `orders-dlq`.
//!
//! ```sh
//! cargo run -p fnkit-local -- --example orders
//! curl -X POST http://127.0.0.1:9000/_fnkit/queues/orders/messages \
//!      -d '[{"sku":"tea","qty":2},{"sku":"tea","qty":0},{"sku":"???","qty":1}]'
//! curl http://127.0.0.1:9000/_fnkit/queues/orders          # depth, in flight, dlq_depth
//! curl http://127.0.0.1:9000/_fnkit/queues/orders/dlq      # the two bad orders, after 3 tries
//! curl -X POST http://127.0.0.1:9000/_fnkit/queues/orders/dlq/redrive
//! ```

use fnkit::prelude::*;
use serde::Deserialize;

/// An order as it arrives on the queue.
#[derive(Debug, Deserialize)]
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

/// Takes the good orders; names the bad ones in `batchItemFailures`.
#[function(trigger = queue(name = "orders", batch_size = 10, window = "1s", max_receive_count = 3), timeout = "10s")]
async fn take_orders(batch: QueueBatch<Order>, ctx: Context) -> Result<BatchResult, Error> {
    let mut result = BatchResult::ok();
    for message in batch {
        match check(&message.body) {
            Ok(()) => println!(
                "took {} x {} ({})",
                message.body.qty, message.body.sku, message.id
            ),
            Err(why) => {
                println!(
                    "refused {} (try {}): {why}",
                    message.id, message.receive_count
                );
                result.fail(message.id);
            }
        }
    }
    println!("batch done in request {}", ctx.request_id());
    Ok(result)
}

fn main() {
    fnkit::run()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[tokio::test]
    async fn only_the_bad_orders_are_reported() {
        let batch = fnkit::testing::queue("orders")
            .message(&json!({"sku": "tea", "qty": 2}))
            .message(&json!({"sku": "tea", "qty": 0}))
            .message(&json!({"sku": "???", "qty": 1}))
            .payload();
        let answer = fnkit::testing::invoke("take_orders", batch).await.unwrap();
        assert_eq!(
            answer,
            json!({"batchItemFailures": [{"itemIdentifier": "msg-2"}, {"itemIdentifier": "msg-3"}]})
        );
    }

    #[tokio::test]
    async fn a_message_that_is_not_an_order_fails_alone() {
        let batch = fnkit::testing::queue("orders")
            .message(&json!({"sku": "tea", "qty": 1}))
            .raw_message("junk", "not an order")
            .payload();
        let answer = fnkit::testing::invoke("take_orders", batch).await.unwrap();
        assert_eq!(
            answer,
            json!({"batchItemFailures": [{"itemIdentifier": "junk"}]})
        );
    }
}

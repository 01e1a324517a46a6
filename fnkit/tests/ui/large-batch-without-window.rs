use fnkit::prelude::*;

#[function(trigger = queue(name = "orders", batch_size = 100))]
async fn orders(batch: QueueBatch<String>) {
    let _ = batch;
}

fn main() {}

use fnkit::prelude::*;

#[function(trigger = queue(name = "orders", batchsize = 10))]
async fn orders(batch: QueueBatch<String>) {
    let _ = batch;
}

fn main() {}

//! One function per trigger kind for the invoke and replay tests: each prints what its event
//! held (`saw ...`) and answers (or, for the kinds that answer nothing, prints)
//! `<ANSWER>: <what it saw>`, or fails while `ANSWER` is `broken`, as a bug the next build fixes
//! would.

use fnkit::prelude::*;
use serde::Deserialize;

fn verdict(saw: &str) -> Result<String, Error> {
    println!("saw {saw}");
    match std::env::var("ANSWER").as_deref() {
        Ok("broken") => Err(Error::new("Broken", format!("broken on {saw}"))),
        Ok(answer) => Ok(format!("{answer}: {saw}")),
        Err(_) => Err(Error::new("Fixture", "ANSWER is not set")),
    }
}

#[function(trigger = http(method = "GET", path = "/greet/{name}"))]
async fn greet(req: HttpRequest) -> Result<String, Error> {
    verdict(req.path_param("name").unwrap_or_default())
}

#[derive(Deserialize)]
struct Order {
    sku: String,
}

#[function]
async fn price(order: Order) -> Result<String, Error> {
    verdict(&order.sku)
}

#[function(trigger = queue(name = "picks", max_receive_count = 1))]
async fn pick(batch: QueueBatch<Order>) -> Result<(), Error> {
    let skus: Vec<String> = batch.into_iter().map(|m| m.body.sku).collect();
    verdict(&skus.join(",")).map(|answer| println!("{answer}"))
}

#[function(trigger = storage(bucket = "scans"), retries = 0)]
async fn scan(event: StorageEvent) -> Result<(), Error> {
    let keys: Vec<String> = event.into_iter().map(|r| r.key).collect();
    verdict(&keys.join(",")).map(|answer| println!("{answer}"))
}

fn main() {
    fnkit::run()
}

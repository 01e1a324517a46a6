//! Functions the end-to-end tests run as real worker processes: each does one thing the tests
//! check from outside (writes what it saw to `FIXTURE_OUT`, fails on purpose, panics).

use std::io::Write;

use fnkit::prelude::*;
use serde::Deserialize;

/// Appends `key<TAB>size` of every record to the file named by `FIXTURE_OUT`.
#[function(trigger = storage(bucket = "uploads", prefix = "images/"))]
async fn record_upload(event: StorageEvent) -> Result<(), Error> {
    let path = std::env::var("FIXTURE_OUT")
        .map_err(|_| Error::new("Fixture", "FIXTURE_OUT is not set"))?;
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    for record in event {
        writeln!(out, "{}\t{}\t{:?}", record.key, record.size, record.change)?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Order {
    qty: i64,
}

/// Fails the orders whose quantity is not positive.
#[function(trigger = queue(name = "orders", batch_size = 10))]
async fn orders(batch: QueueBatch<Order>) -> BatchResult {
    batch
        .into_iter()
        .filter(|m| m.body.qty <= 0)
        .map(|m| m.id)
        .collect()
}

/// Answers with its input; panics with the message in `panic` if there is one.
#[function]
async fn echo(input: serde_json::Value) -> serde_json::Value {
    if let Some(message) = input.get("panic").and_then(|m| m.as_str()) {
        panic!("{message}");
    }
    input
}

fn main() {
    fnkit::run()
}

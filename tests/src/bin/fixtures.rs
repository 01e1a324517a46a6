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

/// Spins the CPU without ever yielding when asked to (`{"spin": true}`); answers otherwise.
#[function(timeout = "1s")]
async fn spin(input: serde_json::Value) -> serde_json::Value {
    if input["spin"] == true {
        let mut x = 0u64;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
    input
}

/// Aborts the process when asked to (`{"abort": true}`).
#[function]
async fn abort(input: serde_json::Value) -> serde_json::Value {
    if input["abort"] == true {
        std::process::abort();
    }
    input
}

/// Allocates and touches `mb` megabytes, then holds them for a second.
#[function(memory = 128, timeout = "10s")]
async fn leak(input: serde_json::Value) -> usize {
    let mb = input["mb"].as_u64().unwrap_or(0) as usize;
    let mut held: Vec<Vec<u8>> = Vec::with_capacity(mb);
    for _ in 0..mb {
        held.push(vec![1u8; 1 << 20]);
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    held.iter()
        .map(|chunk| usize::from(chunk[chunk.len() - 1]))
        .sum()
}

static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts its calls in a static: state that survives only in a reused environment.
#[function]
async fn counter(_input: serde_json::Value) -> u64 {
    CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
}

/// Sleeps `ms` milliseconds; one at a time.
#[function(concurrency = 1, timeout = "10s")]
async fn slow(input: serde_json::Value) -> serde_json::Value {
    let ms = input["ms"].as_u64().unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    input
}

/// Tells what the platform told it: time left, memory, names, environment.
#[function(timeout = "7s", memory = 256)]
async fn whoami(_input: serde_json::Value, ctx: Context) -> serde_json::Value {
    serde_json::json!({
        "remaining_ms": ctx.remaining_time().as_millis() as u64,
        "memory_mb": ctx.memory_limit_mb(),
        "function": ctx.function_name(),
        "request_id": ctx.request_id(),
        "arn": ctx.invoked_function_arn(),
        "env_function": std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
        "env_memory": std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").ok(),
        "env_handler": std::env::var("_HANDLER").ok(),
        "env_region": std::env::var("AWS_REGION").ok(),
        "env_log_group": std::env::var("AWS_LAMBDA_LOG_GROUP_NAME").ok(),
    })
}

/// Fails with a typed error.
#[function]
async fn fail(_input: serde_json::Value) -> Result<serde_json::Value, Error> {
    Err(Error::new("OrderRejected", "the order was rejected"))
}

/// `GET /items/{id}` answers with the id; `POST /items` echoes the body with 201.
#[function(trigger = http(method = "GET", path = "/items/{id}"))]
async fn get_item(req: HttpRequest) -> Json<serde_json::Value> {
    Json(serde_json::json!({"id": req.path_param("id")}))
}

/// `POST /items` echoes the JSON body with 201 and a cookie.
#[function(trigger = http(method = "POST", path = "/items"))]
async fn post_item(req: HttpRequest) -> Result<HttpResponse, Error> {
    let item: serde_json::Value = req.body().json()?;
    Ok(http::Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .header("set-cookie", "seen=1; Path=/")
        .body(serde_json::to_vec(&item).map_err(Error::from)?.into())?)
}

fn main() {
    fnkit::run()
}

//! Every trigger with its options compiles, registers, and appears in the manifest.
use fnkit::prelude::*;

#[function(trigger = http(method = "GET", path = "/hello/{name}"), timeout = "5s", memory = 256, concurrency = 4)]
async fn hello(req: HttpRequest, ctx: Context) -> Result<HttpResponse, Error> {
    let _ = ctx;
    Ok(http::Response::new(req.path_param("name").unwrap_or("").to_owned().into()))
}

#[function(trigger = storage(bucket = "uploads", prefix = "images/", suffix = ".png", events = "all"))]
async fn on_upload(event: StorageEvent, ctx: Context) -> Result<(), Error> {
    let _ = (event, ctx);
    Ok(())
}

#[derive(serde::Deserialize)]
struct Order {
    sku: String,
}

#[function(trigger = queue(name = "orders", batch_size = 50, window = "2s", max_receive_count = 5), retries = 0)]
async fn orders(batch: QueueBatch<Order>) -> Result<BatchResult, Error> {
    Ok(batch.into_iter().filter(|m| m.body.sku.is_empty()).map(|m| m.id).collect())
}

#[function(trigger = schedule(cron = "0 */5 * * * *"))]
async fn cleanup(tick: ScheduleEvent) {
    let _ = tick;
}

#[function(trigger = schedule(rate = "1 hour"), name = "hourly-report")]
async fn report(tick: ScheduleEvent) -> Result<(), std::io::Error> {
    let _ = tick;
    Ok(())
}

#[function(trigger = event)]
async fn add(input: (i64, i64)) -> i64 {
    input.0 + input.1
}

fn main() {
    let manifest = fnkit::registry::manifest().unwrap();
    let names: Vec<&str> = manifest.functions.iter().map(|f| &*f.name).collect();
    assert_eq!(names, ["add", "cleanup", "hello", "hourly-report", "on_upload", "orders"]);
    let hello = &manifest.functions[2];
    assert_eq!((hello.timeout_secs, hello.memory_mb, hello.concurrency), (5, 256, Some(4)));
    let report = &manifest.functions[3];
    assert_eq!(report.trigger, fnkit::manifest::Trigger::Schedule(fnkit::manifest::ScheduleExpr::Rate("1 hour".parse().unwrap())));
}

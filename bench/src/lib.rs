//! The benchmark's subjects: a no-op and a JSON echo HTTP function, and a no-op queue function
//! (the queue's drain rate). The `noop` binary serves them through fnkit (under the emulator, on
//! Lambda, or in HTTP mode); `bare` serves the same two handlers from a bare hyper server
//! in-process, the ceiling to compare with. See docs/performance.md and scripts/bench.sh.

use fnkit::prelude::*;

/// Answers `ok`.
#[function(trigger = http(method = "GET", path = "/noop"))]
pub async fn noop(_req: HttpRequest) -> &'static str {
    "ok"
}

/// Answers with the JSON object it was sent (a body that is not JSON is a 400).
#[function(trigger = http(method = "POST", path = "/echo"))]
pub async fn echo(req: HttpRequest) -> Result<Json<serde_json::Value>, Error> {
    Ok(Json(req.body().json()?))
}

/// Takes a batch of the `drain` queue and does nothing with it: batches of 10 with a 1 s window,
/// as the `orders` example.
#[function(trigger = queue(name = "drain", batch_size = 10, window = "1s"))]
pub async fn drain(_batch: QueueBatch<serde_json::Value>) -> Result<(), Error> {
    Ok(())
}

/// Waits `{"ms": n}` milliseconds: holds an execution environment, so a burst of calls shows
/// what idle environments cost.
#[function(timeout = "30s")]
pub async fn pause(input: serde_json::Value) -> Result<(), Error> {
    let ms = input["ms"].as_u64().unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    Ok(())
}

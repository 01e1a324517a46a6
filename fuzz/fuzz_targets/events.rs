//! Every trigger's decode → handler → encode path on arbitrary payloads: an answer or a typed
//! error (`Runtime.UnmarshalError`, say), never a panic. The handlers cannot panic, so a
//! `Runtime.Panic` is a decoder's or an encoder's (as `query_map`'s was, issue 13 defect 10).
#![no_main]

use fnkit::prelude::*;
use libfuzzer_sys::fuzz_target;

#[function(trigger = http(method = "ANY", path = "/{proxy+}"))]
async fn http_route(req: HttpRequest) -> HttpResponse {
    let mut answer = HttpResponse::new(req.body().clone());
    if let Some(value) = req.headers().get("x-echo") {
        answer.headers_mut().insert("x-echo", value.clone());
    }
    answer
}

#[function(trigger = storage(bucket = "fuzz"))]
async fn storage(event: StorageEvent) -> Result<(), Error> {
    for record in event {
        std::hint::black_box((record.key, record.size));
    }
    Ok(())
}

#[function(trigger = queue(name = "fuzz"))]
async fn queue(batch: QueueBatch<serde_json::Value>) -> BatchResult {
    let mut result = BatchResult::default();
    for message in batch {
        if message.body.is_null() {
            result.fail(message.id.clone());
        }
    }
    result
}

#[function(trigger = schedule(cron = "0 * * * * *"))]
async fn schedule(event: ScheduleEvent) {
    std::hint::black_box(event);
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Order {
    id: u64,
    items: Vec<String>,
}

#[function]
async fn event(order: Order) -> Order {
    order
}

const FUNCTIONS: [&str; 5] = ["http_route", "storage", "queue", "schedule", "event"];

fuzz_target!(|payload: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let functions = fnkit::Runtime::new();
    for name in FUNCTIONS {
        let context = fnkit::testing::context().build();
        let result = runtime.block_on(functions.invoke(name, payload.to_vec(), context));
        if let Err(e) = result {
            assert_ne!(e.error_type(), "Runtime.Panic", "{name}: {}", e.message());
        }
    }
});

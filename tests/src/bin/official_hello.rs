//! A function built with the official `lambda_runtime` crate, not with fnkit: the emulator must
//! run it, because it speaks only the public Runtime API.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    let name = payload["name"].as_str().unwrap_or("world").to_owned();
    Ok(json!({ "message": format!("hello, {name}"), "request_id": context.request_id }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}

//! A function built with the official `lambda_runtime` crate, not with fnkit: the emulator must
//! run it, because it speaks only the public Runtime API.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    // Behind an HTTP route it gets an API Gateway v2 event, and answers by path: the event it got,
    // a bare JSON string, or a response with v1's `multiValueHeaders`.
    if let Some(path) = payload["rawPath"].as_str() {
        return Ok(match path {
            "/official/string" => json!("plain text"),
            "/official/multi" => json!({
                "statusCode": 201,
                "headers": {"x-single": "one"},
                "multiValueHeaders": {"x-multi": ["a", "b"]},
                "body": "multi"
            }),
            _ => json!({ "event": payload, "request_id": context.request_id }),
        });
    }
    let name = payload["name"].as_str().unwrap_or("world").to_owned();
    Ok(json!({ "message": format!("hello, {name}"), "request_id": context.request_id }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}

//! Lambda mode, the official side: `fnkit_echo`'s handler on AWS's `lambda_runtime` crate
//! (its usual set-up: `#[tokio::main]`, `service_fn`), for `scripts/bench.sh` to compare
//! fnkit's Runtime API client with.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

async fn echo(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(event.payload)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(echo)).await
}

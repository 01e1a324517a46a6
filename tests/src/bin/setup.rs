//! Cold-start set-up on an async `main`: `Runtime::state_async` makes a client whose work runs on
//! a task it spawned (as a connection pool's does), and the handler uses it afterwards; if the
//! set-up ran on another runtime, that task would be gone. The set-up takes a known time, which
//! Lambda's Init Duration must include.

use std::time::Duration;

use fnkit::prelude::*;
use tokio::sync::{mpsc, oneshot};

/// How long the set-up takes, at least.
const SETUP: Duration = Duration::from_millis(300);

/// A client of a task spawned at set-up: it counts the requests it served.
struct Counter {
    requests: mpsc::Sender<oneshot::Sender<u64>>,
}

async fn connect() -> Counter {
    tokio::time::sleep(SETUP).await;
    let (tx, mut rx) = mpsc::channel::<oneshot::Sender<u64>>(8);
    tokio::spawn(async move {
        let mut served = 0;
        while let Some(reply) = rx.recv().await {
            served += 1;
            let _ = reply.send(served);
        }
    });
    Counter { requests: tx }
}

/// Asks the set-up's task for the next count.
#[function]
async fn pooled(
    _input: serde_json::Value,
    counter: State<Counter>,
) -> Result<serde_json::Value, Error> {
    let (tx, rx) = oneshot::channel();
    counter
        .requests
        .send(tx)
        .await
        .map_err(|_| Error::new("PoolGone", "the set-up's task is gone"))?;
    let count: u64 = rx
        .await
        .map_err(|_| Error::new("PoolGone", "the set-up's task dropped the request"))?;
    Ok(serde_json::json!({ "count": count }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    fnkit::Runtime::new().state_async(connect()).serve().await
}

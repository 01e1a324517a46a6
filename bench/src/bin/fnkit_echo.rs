//! Lambda mode, fnkit's side: one `event` function that answers with the JSON it was given,
//! served through the Runtime API by fnkit's own client. `official_echo` is the same handler on
//! AWS's `lambda_runtime`; `scripts/bench.sh` runs both under the emulator and compares them.

use fnkit::prelude::*;

/// Answers with its event.
#[function(name = "echo_fnkit")]
async fn echo(event: serde_json::Value) -> serde_json::Value {
    event
}

fn main() {
    fnkit::run()
}

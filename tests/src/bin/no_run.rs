//! A binary that registers a function but forgets `fnkit::run()`: the emulator must name it and
//! say what to call.

use fnkit::prelude::*;

/// Never served: `main` does not call `fnkit::run()`.
#[function]
async fn forgotten(input: serde_json::Value) -> serde_json::Value {
    input
}

fn main() {
    println!("this main never calls fnkit::run()");
}

//! A function takes `State<Database>` that `main` never provides: the process must refuse to start
//! (an init error on Lambda, an exit before listening in the HTTP mode), naming the type.

use fnkit::prelude::*;

/// Never provided.
struct Database;

/// Never reached.
#[function]
async fn query(_input: serde_json::Value, _db: State<Database>) -> serde_json::Value {
    serde_json::Value::Null
}

fn main() {
    fnkit::run()
}

use fnkit::prelude::*;

#[function(timeout = "10 parsecs")]
async fn add(input: i64) -> i64 {
    input
}

fn main() {}

use fnkit::prelude::*;

#[function(timeout = "16m")]
async fn add(input: i64) -> i64 {
    input
}

fn main() {}

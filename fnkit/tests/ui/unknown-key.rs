use fnkit::prelude::*;

#[function(timout = "5s")]
async fn add(input: i64) -> i64 {
    input
}

fn main() {}

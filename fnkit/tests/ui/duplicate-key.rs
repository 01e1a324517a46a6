use fnkit::prelude::*;

#[function(memory = 256, memory = 512)]
async fn add(input: i64) -> i64 {
    input
}

fn main() {}

use fnkit::prelude::*;

#[function(memory = 64)]
async fn add(input: i64) -> i64 {
    input
}

fn main() {}

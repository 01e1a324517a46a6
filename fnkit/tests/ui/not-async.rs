use fnkit::prelude::*;

#[function]
fn add(input: i64) -> i64 {
    input + 1
}

fn main() {}

use fnkit::prelude::*;

#[function]
async fn add(input: i64, ctx: &Context) -> i64 {
    let _ = ctx;
    input
}

fn main() {}

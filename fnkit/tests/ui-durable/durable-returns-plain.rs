use fnkit::durable::DurableContext;
use fnkit::prelude::*;

#[function(durable)]
async fn plain(input: u64, ctx: DurableContext) -> u64 {
    let _ = ctx;
    input
}

fn main() {}

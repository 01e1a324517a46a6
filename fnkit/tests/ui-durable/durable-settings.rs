use fnkit::durable::DurableContext;
use fnkit::prelude::*;

#[function(durable(timeout = "400d", retention = "36h", retension = "1d"))]
async fn too_long(input: u64, ctx: DurableContext) -> Result<u64, Error> {
    let _ = ctx;
    Ok(input)
}

#[function(durable = true)]
async fn assigned(input: u64, ctx: DurableContext) -> Result<u64, Error> {
    let _ = ctx;
    Ok(input)
}

#[function(durable(timeout = 60))]
async fn number(input: u64, ctx: DurableContext) -> Result<u64, Error> {
    let _ = ctx;
    Ok(input)
}

#[function(timeout(1))]
async fn listed(input: u64) -> u64 {
    input
}

fn main() {}

use fnkit::durable::DurableContext;
use fnkit::prelude::*;

fn not_plugins() -> u32 {
    7
}

#[function(durable(plugins = "telemetry"))]
async fn quoted(input: u64, ctx: DurableContext) -> Result<u64, Error> {
    let _ = ctx;
    Ok(input)
}

#[function(durable(plugins = not_plugins))]
async fn mistyped(input: u64, ctx: DurableContext) -> Result<u64, Error> {
    let _ = ctx;
    Ok(input)
}

#[function(durable(plugins))]
async fn bare(input: u64, ctx: DurableContext) -> Result<u64, Error> {
    let _ = ctx;
    Ok(input)
}

fn main() {}

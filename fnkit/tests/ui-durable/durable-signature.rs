use fnkit::durable::DurableContext;
use fnkit::prelude::*;

#[function(trigger = http(path = "/orders"), durable)]
async fn over_http(req: HttpRequest, ctx: DurableContext) -> Result<u64, Error> {
    let _ = (req, ctx);
    Ok(1)
}

#[function]
async fn not_durable(input: u64, ctx: DurableContext) -> Result<u64, Error> {
    let _ = ctx;
    Ok(input)
}

#[function(durable)]
async fn no_context(input: u64) -> Result<u64, Error> {
    Ok(input)
}

#[function(durable)]
async fn twice(input: u64, a: DurableContext, b: DurableContext) -> Result<u64, Error> {
    let _ = (a, b);
    Ok(input)
}

fn main() {}

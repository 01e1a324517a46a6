use fnkit::prelude::*;

#[function(trigger = http(path = "/ping"))]
async fn ping(ctx: Context) -> String {
    ctx.request_id().to_owned()
}

fn main() {}

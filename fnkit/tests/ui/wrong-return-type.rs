use fnkit::prelude::*;

#[function(trigger = http(path = "/count"))]
async fn count(req: HttpRequest) -> i32 {
    req.uri().path().len() as i32
}

fn main() {}

use fnkit::prelude::*;

#[function(trigger = http(method = "GET"))]
async fn users(req: HttpRequest) -> String {
    req.uri().path().to_owned()
}

fn main() {}

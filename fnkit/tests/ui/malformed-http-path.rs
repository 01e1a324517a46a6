use fnkit::prelude::*;

#[function(trigger = http(method = "GET", path = "/users/{id"))]
async fn user(req: HttpRequest) -> String {
    req.uri().path().to_owned()
}

fn main() {}

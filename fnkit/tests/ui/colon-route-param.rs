use fnkit::prelude::*;

// `:id` is another router's syntax: it used to compile and then never match.
#[function(trigger = http(method = "GET", path = "/users/:id"))]
async fn user(req: HttpRequest) -> String {
    req.uri().path().to_owned()
}

fn main() {}

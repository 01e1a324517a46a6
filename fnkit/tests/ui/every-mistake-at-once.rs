use fnkit::prelude::*;

#[function(timout = "5s", memory = 20000, trigger = http(method = "GET", path = "users"))]
fn users(req: HttpRequest) -> String {
    req.uri().path().to_owned()
}

fn main() {}

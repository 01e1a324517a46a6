use fnkit::prelude::*;

#[function]
async fn hello(req: HttpRequest) -> String {
    req.uri().path().to_owned()
}

fn main() {}

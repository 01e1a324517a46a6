use fnkit::prelude::*;

#[function(trigger = htp(path = "/"))]
async fn index(req: HttpRequest) -> String {
    req.uri().path().to_owned()
}

fn main() {}

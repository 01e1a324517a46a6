use fnkit::prelude::*;

#[function(trigger = storage(bucket = "uploads"))]
async fn on_upload(key: String) {
    let _ = key;
}

fn main() {}

use fnkit::prelude::*;

#[function(trigger = http(method = "POST", path = "/upload"))]
async fn upload(event: StorageEvent) -> String {
    event.records.len().to_string()
}

fn main() {}

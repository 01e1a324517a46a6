use fnkit::prelude::*;

#[function(trigger = storage(bucket = "My_Uploads"))]
async fn on_upload(event: StorageEvent) {
    let _ = event;
}

fn main() {}

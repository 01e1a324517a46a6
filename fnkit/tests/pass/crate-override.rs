//! `crate = "..."` points the expansion at fnkit under another name.
pub extern crate fnkit as renamed;

mod reexport {
    pub use renamed as sdk;
}

#[renamed::function(crate = "reexport::sdk")]
async fn double(input: i64) -> i64 {
    input * 2
}

fn main() {
    assert!(renamed::registry::find("double").is_some());
}

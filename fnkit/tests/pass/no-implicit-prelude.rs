//! The expansion names everything by absolute path, so it works without the prelude.
#![no_implicit_prelude]

#[::fnkit::function(trigger = http(method = "GET", path = "/x"))]
async fn x(req: ::fnkit::HttpRequest, ctx: ::fnkit::Context) -> ::core::result::Result<::std::string::String, ::fnkit::Error> {
    let _ = (req, ctx);
    ::core::result::Result::Ok(::std::string::String::new())
}

#[::fnkit::function(trigger = queue(name = "q"))]
async fn q(batch: ::fnkit::QueueBatch<::std::string::String>) -> ::fnkit::BatchResult {
    let _ = batch;
    ::fnkit::BatchResult::ok()
}

#[::fnkit::function]
async fn e(input: i64, state: ::fnkit::State<u8>) -> i64 {
    let _ = state;
    input
}

fn main() {
    ::std::assert_eq!(::fnkit::registry::functions().unwrap().len(), 3);
}

use fnkit::prelude::*;

#[function]
async fn echo<T: serde::Serialize>(input: T) -> T {
    input
}

fn main() {}

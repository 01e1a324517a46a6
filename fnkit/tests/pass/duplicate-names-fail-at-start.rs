//! Two functions with one name compile (they may live in different modules or crates), but the
//! registry refuses them at start-up and says where both are.
use fnkit::prelude::*;

#[function(name = "same")]
async fn first(input: i64) -> i64 {
    input
}

mod other {
    use fnkit::prelude::*;

    #[function(name = "same")]
    async fn second(input: i64) -> i64 {
        input
    }
}

fn main() {
    let error = fnkit::registry::functions().unwrap_err();
    assert_eq!(error.name, "same");
    let message = error.to_string();
    let (a, b) = (message.find("start.rs:6 ").expect(&message), message.find("start.rs:14;").expect(&message));
    assert!(a < b, "sorted by line: {message}");
    assert!(fnkit::registry::manifest().is_err());
}

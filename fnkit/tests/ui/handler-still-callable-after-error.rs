use fnkit::prelude::*;

// The attribute is wrong, but the fn is still emitted: only the attribute's error shows, not a
// cascade of "cannot find function `add`".
#[function(memory = 1)]
async fn add(input: i64) -> i64 {
    input + 1
}

fn main() {
    let _ = add(1);
}

use fnkit::prelude::*;

struct Service;

impl Service {
    #[function]
    async fn handle(&self, input: i64) -> i64 {
        input
    }
}

fn main() {}

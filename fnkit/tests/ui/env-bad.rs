use fnkit::prelude::*;

#[function(env = ["AWS_REGION=eu-west-1", "NO_EQUALS", 42, "LEVEL=1", "LEVEL=2", "1BAD=x"])]
async fn configured(n: i64) -> i64 {
    n
}

fn main() {}

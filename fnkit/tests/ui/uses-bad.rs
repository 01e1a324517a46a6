use fnkit::prelude::*;

#[function(uses = [bucket("Not_A_Bucket"), table("x"), queue(1), bucket("ok-bucket"), bucket("ok-bucket")])]
async fn writes(n: i64) -> i64 {
    n
}

#[function(uses = bucket("reports"))]
async fn not_a_list(n: i64) -> i64 {
    n
}

fn main() {}

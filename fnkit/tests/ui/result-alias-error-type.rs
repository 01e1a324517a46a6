use fnkit::prelude::*;

// An alias of `Result` is a `Result`: its error type must convert into `fnkit::Error`.
struct NotAnError;
type Res<T> = Result<T, NotAnError>;

#[function]
async fn add(n: i64) -> Res<i64> {
    Ok(n + 1)
}

fn main() {}

//! A handler's `Result` is recognised by its type, not its name: an alias of `Result` must turn
//! `Err` into a failed invocation, never into a successful `{"Err": ...}` answer.

use fnkit::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("odd input {0}")]
struct OddInput(i64);

type Res<T> = Result<T, OddInput>;

#[function]
async fn halve(n: i64) -> Res<i64> {
    if n % 2 == 0 {
        Ok(n / 2)
    } else {
        Err(OddInput(n))
    }
}

/// A plain value that happens to serialize like a `Result` stays a value.
#[derive(serde::Serialize)]
enum Verdict {
    Ok(i64),
}

#[function]
async fn verdict(n: i64) -> Verdict {
    Verdict::Ok(n)
}

#[tokio::test]
async fn an_alias_of_result_is_a_result() {
    let ok = fnkit::testing::invoke("halve", 42).await.unwrap();
    assert_eq!(ok, serde_json::json!(21));
    let err = fnkit::testing::invoke("halve", 7).await.unwrap_err();
    assert_eq!(err.message(), "odd input 7");
    assert!(
        err.error_type().ends_with("OddInput"),
        "{}",
        err.error_type()
    );
}

#[tokio::test]
async fn a_value_shaped_like_a_result_is_a_value() {
    let out = fnkit::testing::invoke("verdict", 5).await.unwrap();
    assert_eq!(out, serde_json::json!({"Ok": 5}));
}

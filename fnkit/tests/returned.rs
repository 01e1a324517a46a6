//! What handlers return. Errors: a `std::error::Error`, a `String`, a `Box<dyn Error + Send +
//! Sync>` and an `anyhow::Error`, each in Lambda's error shape with its full type name as
//! `errorType`, as the official Rust runtime reports them, and the chain of sources in the
//! message. HTTP answers: `(StatusCode, T)` sets the status of any other answer.

use fnkit::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("the ledger is closed")]
struct LedgerClosed(#[source] std::io::Error);

#[function]
async fn io_error(_n: i64) -> Result<i64, std::io::Error> {
    Err(std::io::Error::other("disk full"))
}

#[function]
async fn string_error(n: i64) -> Result<i64, String> {
    Err(format!("{n} is not accepted"))
}

#[function]
async fn boxed_error(_n: i64) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
    Err(Box::new(LedgerClosed(std::io::Error::other("disk full"))))
}

#[function]
async fn anyhow_error(_n: i64) -> anyhow::Result<i64> {
    use anyhow::Context as _;
    Err(std::io::Error::other("disk full")).context("cannot open the ledger")
}

#[function]
async fn fine(n: i64) -> Result<i64, String> {
    Ok(n + 1)
}

async fn failure(name: &str) -> Error {
    fnkit::testing::invoke(name, 1).await.unwrap_err()
}

#[tokio::test]
async fn a_std_error_keeps_its_full_type_name() {
    let e = failure("io_error").await;
    assert_eq!(e.error_type(), "std::io::error::Error");
    assert_eq!(e.message(), "disk full");
}

#[tokio::test]
async fn a_string_error_is_its_message() {
    let e = failure("string_error").await;
    assert_eq!(e.error_type(), "alloc::string::String");
    assert_eq!(e.message(), "1 is not accepted");
}

#[tokio::test]
async fn a_boxed_error_keeps_its_chain() {
    let e = failure("boxed_error").await;
    assert_eq!(
        e.error_type(),
        "alloc::boxed::Box<dyn core::error::Error + core::marker::Send + core::marker::Sync>"
    );
    assert_eq!(e.message(), "the ledger is closed: disk full");
}

#[tokio::test]
async fn an_anyhow_error_keeps_its_chain() {
    let e = failure("anyhow_error").await;
    assert_eq!(e.error_type(), "anyhow::Error");
    assert_eq!(e.message(), "cannot open the ledger: disk full");
}

#[tokio::test]
async fn an_ok_with_a_display_error_type_is_answered() {
    let out = fnkit::testing::invoke("fine", 1).await.unwrap();
    assert_eq!(out, serde_json::json!(2));
}

#[function(trigger = http(method = "POST", path = "/orders"))]
async fn create_order(_req: HttpRequest) -> (StatusCode, Json<serde_json::Value>) {
    (StatusCode::CREATED, Json(serde_json::json!({"id": 7})))
}

#[function(trigger = http(method = "GET", path = "/teapot"))]
async fn teapot(_req: HttpRequest) -> Result<(StatusCode, String), String> {
    Ok((StatusCode::IM_A_TEAPOT, "short and stout".to_owned()))
}

#[tokio::test]
async fn a_status_and_json_answer_keeps_both() {
    let req = http::Request::post("/orders").body(Body::empty()).unwrap();
    let res = fnkit::testing::invoke_http("create_order", req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: serde_json::Value = res.body().json().unwrap();
    assert_eq!(body, serde_json::json!({"id": 7}));
}

#[tokio::test]
async fn a_status_and_text_answer_inside_a_result() {
    let req = http::Request::get("/teapot").body(Body::empty()).unwrap();
    let res = fnkit::testing::invoke_http("teapot", req).await.unwrap();
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(res.body().as_bytes(), b"short and stout");
}

//! The hello example: an HTTP function and a plain event function, with the unit tests a user
//! would write for them. Run it under the emulator with `cargo run -p fnkit-local -- --example hello`.

use fnkit::prelude::*;
use serde::{Deserialize, Serialize};

/// `GET /hello/{name}` answers with a greeting.
#[function(trigger = http(method = "GET", path = "/hello/{name}"), timeout = "5s", memory = 128)]
async fn hello(req: HttpRequest, ctx: Context) -> Result<HttpResponse, Error> {
    let name = req.path_param("name").unwrap_or("world");
    if name.is_empty() || name.len() > 64 {
        return Err(Error::bad_request("a name is 1 to 64 characters"));
    }
    let greeting = req
        .query_param("greeting")
        .unwrap_or_else(|| "hello".to_owned());
    let body = format!("{greeting}, {name}! (request {})\n", ctx.request_id());
    Ok(http::Response::builder()
        .header("content-type", "text/plain; charset=utf-8")
        .body(body.into())?)
}

/// The input of [`add`].
#[derive(Debug, Deserialize)]
struct AddInput {
    a: i64,
    b: i64,
}

/// The output of [`add`].
#[derive(Debug, Serialize, PartialEq, Eq)]
struct AddOutput {
    sum: i64,
}

/// Adds two numbers; invoked directly with a JSON payload.
#[function]
async fn add(input: AddInput) -> Result<AddOutput, Error> {
    let sum = input.a.checked_add(input.b).ok_or_else(|| {
        Error::new(
            "Overflow",
            format!("{} + {} does not fit in an i64", input.a, input.b),
        )
    })?;
    Ok(AddOutput { sum })
}

fn main() {
    fnkit::run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn hello_called_directly_reads_the_path_parameter() {
        let req = fnkit::testing::http("GET", "/hello/ada?greeting=hi")
            .route("/hello/{name}")
            .build();
        let ctx = fnkit::testing::context().request_id("req-1").build();
        let res = hello(req, ctx).await.unwrap();
        assert_eq!(res.body().to_str().unwrap(), "hi, ada! (request req-1)\n");
    }

    #[tokio::test]
    async fn hello_through_invoke_answers_in_the_v2_shape() {
        let req = fnkit::testing::http("GET", "/hello/grace").build();
        let res = fnkit::testing::invoke_http("hello", req).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
        assert!(res.body().to_str().unwrap().starts_with("hello, grace!"));
    }

    #[tokio::test]
    async fn add_called_directly_and_through_invoke_agree() {
        let direct = add(AddInput { a: 2, b: 3 }).await.unwrap();
        assert_eq!(direct, AddOutput { sum: 5 });
        let invoked = fnkit::testing::invoke("add", json!({"a": 2, "b": 3}))
            .await
            .unwrap();
        assert_eq!(invoked, json!({"sum": 5}));
    }

    #[tokio::test]
    async fn add_overflow_is_a_typed_error() {
        let err = fnkit::testing::invoke("add", json!({"a": i64::MAX, "b": 1}))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "Overflow");
    }

    #[tokio::test]
    async fn add_with_a_malformed_payload_is_an_unmarshal_error() {
        let err = fnkit::testing::invoke("add", json!({"a": "two"}))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "Runtime.UnmarshalError");
    }
}

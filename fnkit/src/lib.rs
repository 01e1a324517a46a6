//! Write serverless functions in Rust: one attribute, typed triggers, and the same binary locally
//! (under `fnkit-local`) and on AWS Lambda.
//!
//! ```
//! use fnkit::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! #[function(trigger = http(method = "GET", path = "/hello/{name}"), timeout = "5s")]
//! async fn hello(req: HttpRequest, ctx: Context) -> Result<HttpResponse, Error> {
//!     let name = req.path_param("name").unwrap_or("world");
//!     let body = format!("hello {name} from {}", ctx.function_name());
//!     Ok(http::Response::new(body.into()))
//! }
//!
//! #[derive(Deserialize)]
//! struct AddInput { a: i64, b: i64 }
//! #[derive(Serialize)]
//! struct AddOutput { sum: i64 }
//!
//! #[function] // trigger = event: any Deserialize in, any Serialize out
//! async fn add(input: AddInput) -> AddOutput {
//!     AddOutput { sum: input.a + input.b }
//! }
//!
//! # fn main() {}
//! // fn main() { fnkit::run() }
//! ```
//!
//! - A handler is an `async fn` whose arguments are the trigger's event (exactly one), and
//!   optionally [`Context`] and [`State<T>`], in any order. It returns a value or a
//!   `Result<T, E>` with `E: Into<Error>`.
//! - [`run`] picks the mode at start-up: the Lambda Runtime API when `AWS_LAMBDA_RUNTIME_API` is
//!   set, the JSON manifest with `--fnkit-describe`, and otherwise a list of the functions.
//! - [`testing`] calls functions in unit tests, directly or through the production path.
//!
//! Guides: `docs/guide.md` (writing and testing), `docs/manifest.md` (the manifest format),
//! `docs/architecture.md` (how it fits together).

#![warn(missing_docs)]
// The examples show `main` on purpose: that is where `fnkit::run()` goes.
#![allow(clippy::needless_doctest_main)]

mod context;
#[cfg(feature = "durable")]
pub mod durable;
mod error;
pub mod event;
mod invocation;
pub mod manifest;
#[doc(hidden)]
pub mod platform;
pub mod registry;
pub mod resource;
pub mod route;
mod runtime;
pub mod testing;

pub use context::{Context, ContextBuilder};
pub use error::{Error, ErrorBody};
pub use event::http::{
    Body, HttpRequest, HttpResponse, IntoHttpResponse, Json, PathParams, RequestExt,
};
pub use event::queue::{BatchResult, MessageAttribute, QueueBatch, QueueMessage};
pub use event::raw;
pub use event::schedule::ScheduleEvent;
pub use event::storage::{StorageChange, StorageEvent, StorageRecord};
pub use http;
pub use invocation::{State, StateMap};
pub use runtime::{run, Runtime, DESCRIBE_FLAG};

/// Registers an `async fn` as a function of this binary.
///
/// ```
/// use fnkit::prelude::*;
///
/// #[function(trigger = queue(name = "orders", batch_size = 10), timeout = "30s", memory = 256)]
/// async fn orders(batch: QueueBatch<serde_json::Value>) -> Result<BatchResult, Error> {
///     let mut result = BatchResult::ok();
///     for message in batch {
///         if message.body.get("sku").is_none() {
///             result.fail(message.id);
///         }
///     }
///     Ok(result)
/// }
/// # fn main() {}
/// ```
///
/// # Keys
/// | key | value | default |
/// |---|---|---|
/// | `trigger` | `http(method = "GET", path = "/users/{id}")`, `storage(bucket = "b", prefix = "p/", suffix = ".png", events = "created"\|"deleted"\|"all")`, `queue(name = "q", batch_size = 10, window = "1s", max_receive_count = 3)`, `schedule(cron = "0 */5 * * * *")` or `schedule(rate = "5 minutes")`, `event` | `event` |
/// | `name` | the function's name (letters, digits, `-`, `_`; at most 64) | the fn's name |
/// | `timeout` | a duration in whole seconds, `"1s"` to `"900s"` | `"3s"` |
/// | `memory` | MB, 128 to 10240 | 128 |
/// | `concurrency` | reserved concurrency | none |
/// | `retries` | retries of a failed asynchronous invocation, 0 to 2 | 2 |
/// | `durable` | `durable` or `durable(timeout = "7d", retention = "30d")`: a durable function (feature `durable`; see `fnkit::durable`) whose executions may run up to `timeout` (1s to 366d) and whose history is kept `retention` (1d to 90d) | not durable; `1d`, `14d` |
/// | `crate` | the path to fnkit, when it is renamed or re-exported | `"fnkit"` |
///
/// Everything is checked at compile time, each mistake spanned under its tokens: the signature
/// (`async`, no generics or `self`, exactly one event argument and one that fits the trigger),
/// unknown and duplicate keys, durations, ranges, cron and rate expressions, HTTP methods and
/// routes. The fn itself is left unchanged and stays callable from tests.
///
/// # Arguments and return values per trigger
/// | trigger | event argument | returns |
/// |---|---|---|
/// | `http` | [`HttpRequest`] | [`HttpResponse`], `String`, `&'static str`, [`Json<T>`], `StatusCode`, `()` |
/// | `storage` | [`StorageEvent`] | `()` |
/// | `queue` | [`QueueBatch<T>`] | [`BatchResult`] or `()` |
/// | `schedule` | [`ScheduleEvent`] | `()` |
/// | `event` | any `T: Deserialize` | any `T: Serialize` |
/// | `event`, `durable` | any `T: Deserialize`, and a `DurableContext` | `Result<T, E>`, `T: Serialize` |
///
/// Any of them may be wrapped in `Result<_, E>` with `E: Into<`[`Error`]`>`.
#[doc(inline)]
pub use fnkit_macros::function;

/// The names a function module usually needs: `use fnkit::prelude::*;`.
pub mod prelude {
    pub use crate::{
        function, http, BatchResult, Body, Context, Error, HttpRequest, HttpResponse, Json,
        QueueBatch, QueueMessage, RequestExt, ScheduleEvent, State, StorageChange, StorageEvent,
        StorageRecord,
    };
    pub use ::http::StatusCode;
}

/// What the code generated by `#[function]` needs. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::event::returned::{DisplayResultKind, ResultKind, Returned, ValueKind};
    pub use crate::event::trigger;
    pub use crate::event::{respond_result, respond_value, FromEvent, Respond};
    pub use crate::invocation::{FromInvocation, Invocation, StateMap};
    pub use crate::manifest::{
        DurableConfig, FunctionSpec, Rate, RateUnit, Resource, ScheduleExpr, StorageEvents,
        Trigger, Variable,
    };
    pub use crate::registry::{FunctionDef, HandlerFuture};
    pub use crate::Error;
    pub use ::core::option::Option;
    pub use ::core::result::Result;
    pub use ::inventory;
    pub use ::std::borrow::Cow;

    /// What a durable function's expansion calls (`#[function(durable)]`). Without the `durable`
    /// feature this module is configured out, and rustc's error says so.
    #[cfg(feature = "durable")]
    pub mod durable {
        pub use crate::durable::plugin::Plugins;
        pub use crate::durable::{execute, execute_with, DurableReturn};
        pub use ::serde_json::Value;
        pub use ::std::sync::OnceLock;
    }

    /// Boxes a handler's future.
    pub fn boxed<F>(future: F) -> HandlerFuture
    where
        F: ::core::future::Future<
                Output = ::core::result::Result<::std::vec::Vec<u8>, crate::Error>,
            > + Send
            + 'static,
    {
        ::std::boxed::Box::pin(future)
    }
}

//! fnkit-local: the emulator that runs fnkit functions the way the cloud does.
//!
//! Each function runs in worker processes of the user's binary, which speak the AWS Lambda
//! Runtime API to the emulator, so the local path is the production path. The emulator enforces
//! each function's timeout, memory size and concurrency, reuses warm environments (or not:
//! `--reuse never|random:P`), and records every invocation in an SQLite ledger with Lambda's
//! REPORT line, billed duration and cost.
//!
//! It is a library first: [`Emulator::builder`] builds one, [`Emulator::serve`] runs it on a
//! listener you bound (port 0 in tests) until a future completes. `main.rs` is a thin CLI.
//!
//! One port serves:
//! - the HTTP triggers, routed from the manifest (`GET /hello/{name}`), as API Gateway v2 events;
//! - the AWS Invoke API, `POST /2015-03-31/functions/{name}/invocations`, for `curl`,
//!   `aws lambda invoke --endpoint-url`, boto3 and `cargo lambda invoke`;
//! - `/_fnkit/functions`, `/_fnkit/invocations`, `/_fnkit/stats`, `/_fnkit/metrics`.

#![warn(missing_docs)]

// The layout, leaves first (no module imports one that imports it back):
// config, report (billing, the REPORT line) and db (SQLite) are leaves; ledger records reports;
// observe holds the log and metrics; engine runs invocations; work stores and delivers
// asynchronous work through the engine; sources turn buckets and clocks into work; http is the
// front on one port; versions numbers builds; emulator wires them; build finds binaries and package writes deploy files.
mod config;
mod db;
mod durable;
mod emulator;
mod engine;
mod http;
mod ledger;
mod observe;
mod report;
mod s3;
mod sources;
mod sqs;
mod state;
mod versions;
mod work;

pub mod build;
pub mod client;
pub mod foreign;
pub mod package;
pub mod watch;

pub use crate::config::{Config, Prices, Reuse, RECORD_MAX_BYTES};
pub use crate::db::DbError;
pub use crate::emulator::{Emulator, EmulatorBuilder, EmulatorError, ServedFunction, Summary};
pub use crate::engine::gate::{BuildState, Builds};
pub use crate::engine::runtime_api::MAX_RESPONSE_BYTES;
pub use crate::engine::{InvokeError, Invoked, Mode};
pub use crate::http::invoke_api::MAX_ASYNC_PAYLOAD_BYTES;
pub use crate::ledger::{Ledger, LedgerError, Recorded, Row, Stats};
pub use crate::observe::entry::{Entry, Source};
pub use crate::observe::logs::Logs;
pub use crate::report::{report_line, Outcome, Record};
pub use crate::work::store::{QueueCounts, StoredMessage};

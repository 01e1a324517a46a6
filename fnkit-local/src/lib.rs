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

mod admin;
mod config;
mod core;
mod delivery;
mod emulator;
mod environment;
mod events_api;
mod gateway;
mod ledger;
mod logs;
mod memory;
mod metrics;
pub mod package;
mod report;
mod runtime_api;
mod schedule;
mod server;
mod storage;
mod store;
pub mod target;

pub use crate::config::{Config, Prices, Reuse};
pub use crate::core::{InvokeError, Invoked, Mode};
pub use crate::emulator::{Emulator, EmulatorBuilder, EmulatorError, ServedFunction, Summary};
pub use crate::ledger::{Ledger, LedgerError, Row, Stats};
pub use crate::logs::Logs;
pub use crate::report::{report_line, Outcome, Record};
pub use crate::runtime_api::MAX_RESPONSE_BYTES;
pub use crate::server::MAX_ASYNC_PAYLOAD_BYTES;
pub use crate::store::{QueueCounts, Store, StoredMessage};

//! The rules that fnkit's macro, its SDK and its emulator must agree on, in one place.
//!
//! This crate is an implementation detail of [fnkit](https://docs.rs/fnkit), which re-exports
//! what users need (`fnkit::manifest`, `fnkit::route`). It has no async runtime and no HTTP stack,
//! so `fnkit-macros` can use it at compile time: a route, a name or a schedule that compiles is
//! exactly one the runtime and the emulator accept, and the deploy targets translate schedules
//! from here, so a cron fires on the same day locally and in the cloud.
//!
//! | module | owns |
//! |---|---|
//! | [`durable`] | durable functions: the wire types of the durable execution API, the envelope, the ARN; with the `engine` feature, the service's rules |
//! | [`env`] | environment variable names Lambda accepts, and the `.env`-style file format |
//! | [`manifest`] | the manifest types (`--fnkit-describe`), their limits and [`manifest::Manifest::check`] |
//! | [`names`] | function, bucket and queue names as Lambda, S3 and SQS accept them |
//! | [`qualifier`] | what a function name or ARN and its qualifier say |
//! | [`schedule`] | cron (with seconds) and rates: checking, next firing, EventBridge and Knative forms |
//! | [`storage`] | which object changes a storage trigger fires for; S3's overlapping-notification rule |
//! | [`route`] | HTTP routes (`/users/{id}`, `/files/{path+}`) and the one route table with its tie-break |
//!
//! ```
//! use fnkit_spec::schedule::{knative_cron, ScheduleExpr};
//! // The `cron` crate numbers days of the week from 1 = Sunday: `2` is Monday, locally and on Knative.
//! let monday = ScheduleExpr::cron("0 30 9 * * 2").unwrap();
//! assert_eq!(knative_cron(&monday).unwrap(), "30 9 * * MON");
//! ```

#![warn(missing_docs)]

pub mod durable;
pub mod env;
pub mod manifest;
pub mod names;
pub mod qualifier;
pub mod route;
pub mod schedule;
pub mod storage;

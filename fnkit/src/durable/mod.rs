//! Lambda durable functions in Rust (the `durable` feature). **In progress:** this release has
//! the rules the SDK's operations are built on; the `DurableContext` API, `#[function(durable)]`
//! and the checkpoint client come next (docs/durable.md says what the emulator already serves).
//!
//! | module | owns |
//! |---|---|
//! | [`ids`] | deterministic operation ids: a positional path per context, hashed |
//! | [`retry`] | step retry strategies: exponential backoff with jitter, and the presets |

pub mod ids;
pub mod retry;

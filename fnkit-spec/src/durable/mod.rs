//! Lambda durable functions: the rules fnkit's SDK, its macro and its emulator share. The wire
//! types of the durable execution API (botocore's `lambda` model, version `2025-12-01`), the
//! invocation envelope a durable handler receives and the answer it gives, the execution ARN,
//! and the limits of each field.
//!
//! | module | owns |
//! |---|---|
//! | [`wire`] | `Operation`, `OperationUpdate`, their details, the enums, `ErrorObject`, the envelope |
//! | [`arn`] | the durable execution ARN: format and parse |
//!
//! Times: the envelope and this crate's types carry epoch milliseconds, as the SDKs read them
//! (`from_unix_millis` in the official Python SDK); the REST API's JSON carries epoch seconds
//! (rest-json timestamps). [`wire::Millis`] reads either.

pub mod arn;
#[cfg(feature = "engine")]
pub mod engine;
pub mod wire;

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

/// A durable function's settings (SAM's `DurableConfig`): how long one execution may run, and
/// how long its history is kept after it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurableConfig {
    /// The longest an execution may run, in seconds: 1 to 31,622,400 (366 days).
    pub execution_timeout_secs: u32,
    /// Days an ended execution's history is kept: 1 to 90.
    pub retention_days: u32,
}

impl Default for DurableConfig {
    /// One day, and 14 days of history (SAM's default retention).
    fn default() -> Self {
        DurableConfig {
            execution_timeout_secs: 86_400,
            retention_days: 14,
        }
    }
}

/// `ExecutionTimeout` of `DurableConfig`, in seconds.
pub const EXECUTION_TIMEOUT_SECS: RangeInclusive<u32> = 1..=31_622_400;
/// `RetentionPeriodInDays` of `DurableConfig`.
pub const RETENTION_DAYS: RangeInclusive<u32> = 1..=90;
/// `WaitOptions.WaitSeconds` and `StepOptions.NextAttemptDelaySeconds`.
pub const DELAY_SECS: RangeInclusive<u64> = 1..=31_622_400;
/// The largest `Payload` of an update (6 MiB).
pub const MAX_PAYLOAD_BYTES: usize = 6_291_456;
/// The largest callback result (`SendDurableExecutionCallbackSuccess`), 256 KiB.
pub const MAX_CALLBACK_RESULT_BYTES: usize = 262_144;
/// The most operations a page of state holds (`MaxItems` of `GetDurableExecutionState`).
pub const MAX_STATE_PAGE: usize = 1000;

impl DurableConfig {
    /// Checks both fields against their ranges.
    pub fn check(&self) -> Result<(), String> {
        let within = |field: &str, v: u32, r: RangeInclusive<u32>| {
            if r.contains(&v) {
                Ok(())
            } else {
                Err(format!(
                    "durable `{field}` is {v}; it must be from {} to {}",
                    r.start(),
                    r.end()
                ))
            }
        };
        within(
            "execution_timeout_secs",
            self.execution_timeout_secs,
            EXECUTION_TIMEOUT_SECS,
        )?;
        within("retention_days", self.retention_days, RETENTION_DAYS)
    }
}

/// Whether `s` is an operation id the API accepts: `[a-zA-Z0-9-_]{1,64}`.
pub fn is_operation_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `s` is a durable execution name the API accepts: `[a-zA-Z0-9-_]{1,64}`.
pub fn is_execution_name(s: &str) -> bool {
    is_operation_id(s)
}

/// Whether `s` is an operation name the API accepts: 1 to 256 printable ASCII characters.
pub fn is_operation_name(s: &str) -> bool {
    (1..=256).contains(&s.len()) && s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Whether `s` is a sub-type the API accepts: `[a-zA-Z0-9-_]{1,32}`.
pub fn is_sub_type(s: &str) -> bool {
    s.len() <= 32 && is_operation_id(s)
}

#[cfg(test)]
mod tests;

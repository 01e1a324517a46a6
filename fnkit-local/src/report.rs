//! What one invocation cost and how it ended: the record the ledger stores, the REPORT line in
//! Lambda's own format, and the billing arithmetic.

use std::time::Duration;

use serde::Serialize;

use crate::config::Prices;

/// How an invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered with a response.
    Ok,
    /// Answered with an error (function error, bad event, panic).
    Error,
    /// Stopped at its timeout.
    Timeout,
    /// Stopped above its memory size.
    Oom,
    /// The worker exited or crashed.
    Crash,
    /// Refused: over a concurrency limit.
    Throttled,
}

impl Outcome {
    /// The name stored in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
            Outcome::Oom => "oom",
            Outcome::Crash => "crash",
            Outcome::Throttled => "throttled",
        }
    }
}

/// One invocation, as the ledger stores it.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// The request id.
    pub request_id: String,
    /// The function.
    pub function: String,
    /// The trigger kind (`http`, `event`, ...).
    pub trigger: String,
    /// Start, Unix epoch milliseconds.
    pub start_ms: i64,
    /// Duration of the invoke phase, milliseconds.
    pub duration_ms: f64,
    /// Billed milliseconds: duration plus init on a cold start, rounded up to 1 ms.
    pub billed_ms: u64,
    /// Init duration on a cold start, milliseconds.
    pub init_ms: Option<f64>,
    /// Configured memory, MB.
    pub memory_mb: u32,
    /// Peak resident memory of the environment, MB.
    pub max_memory_mb: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// The error type, if it failed.
    pub error_type: Option<String>,
    /// Billed GB-seconds.
    pub gb_seconds: f64,
    /// Cost on x86_64, dollars.
    pub cost_x86: f64,
    /// Cost on arm64, dollars.
    pub cost_arm: f64,
}

/// Billed milliseconds: the invoke phase, plus init on a cold start (custom runtimes bill
/// init), rounded up to the next millisecond.
pub fn billed_ms(duration: Duration, init: Option<Duration>) -> u64 {
    let total = duration + init.unwrap_or_default();
    let micros = total.as_micros() as u64;
    micros.div_ceil(1000).max(1)
}

/// GB-seconds and cost of a billed duration.
pub fn cost(billed_ms: u64, memory_mb: u32, prices: &Prices) -> (f64, f64, f64) {
    let gb_seconds = billed_ms as f64 / 1000.0 * f64::from(memory_mb) / 1024.0;
    (
        gb_seconds,
        prices.per_request + gb_seconds * prices.per_gb_second_x86,
        prices.per_request + gb_seconds * prices.per_gb_second_arm,
    )
}

/// The REPORT line, tab-separated in Lambda's field order: Init Duration only on a cold start,
/// then, when the environment was reset (a timeout, running out of memory, a crash),
/// `Status: timeout` or `Status: error` with its `Error Type`, as Lambda has written since 2025.
/// A function's own error leaves no status (its runtime answered).
pub fn report_line(r: &Record) -> String {
    let mut line = format!(
        "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
        r.request_id, r.duration_ms, r.billed_ms, r.memory_mb, r.max_memory_mb
    );
    if let Some(init) = r.init_ms {
        line.push_str(&format!("Init Duration: {init:.2} ms\t"));
    }
    match (r.outcome, &r.error_type) {
        (Outcome::Timeout, _) => line.push_str("Status: timeout\t"),
        (Outcome::Oom | Outcome::Crash, Some(kind)) => {
            line.push_str(&format!("Status: error\tError Type: {kind}\t"));
        }
        _ => {}
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_rounds_up_to_the_millisecond_and_includes_init() {
        assert_eq!(billed_ms(Duration::from_micros(62_930), None), 63);
        assert_eq!(billed_ms(Duration::from_micros(1_000), None), 1);
        assert_eq!(billed_ms(Duration::from_micros(10), None), 1);
        assert_eq!(
            billed_ms(
                Duration::from_micros(62_930),
                Some(Duration::from_micros(18_450))
            ),
            82
        );
    }

    #[test]
    fn cost_follows_the_price_list() {
        let (gbs, x86, arm) = cost(1000, 1024, &Prices::default());
        assert!((gbs - 1.0).abs() < 1e-12);
        assert!((x86 - (0.0000002 + 0.0000166667)).abs() < 1e-12);
        assert!((arm - (0.0000002 + 0.0000133334)).abs() < 1e-12);
    }
}

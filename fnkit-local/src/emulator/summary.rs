//! What one run of the emulator did, per function, printed at shutdown.

use std::collections::BTreeMap;
use std::fmt;

use crate::observe::metrics::FunctionCounters;

/// Per-function counts of one run of the emulator, printed at shutdown.
#[derive(Debug, Clone)]
pub struct Summary {
    pub(super) functions: BTreeMap<String, FunctionCounters>,
}

impl Summary {
    /// Invocations of `function` that ended with `outcome` (`ok`, `error`, `timeout`, ...).
    pub fn count(&self, function: &str, outcome: &str) -> u64 {
        self.functions
            .get(function)
            .and_then(|c| c.by_outcome.get(outcome))
            .copied()
            .unwrap_or(0)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<24} {:>7} {:>7} {:>9} {:>6} {:>10} {:>12} {:>8} {:>14}",
            "function",
            "calls",
            "errors",
            "throttled",
            "cold",
            "avg ms",
            "billed ms",
            "max MB",
            "cost (x86) $"
        )?;
        for (name, c) in &self.functions {
            let calls: u64 = c.by_outcome.values().sum();
            let throttled = c.by_outcome.get("throttled").copied().unwrap_or(0);
            let ok = c.by_outcome.get("ok").copied().unwrap_or(0);
            let errors = calls - ok - throttled;
            let avg = if c.executed > 0 {
                c.duration_sum_ms / c.executed as f64
            } else {
                0.0
            };
            writeln!(
                f,
                "{name:<24} {calls:>7} {errors:>7} {throttled:>9} {:>6} {avg:>10.2} {:>12} {:>8} {:>14.9}",
                c.cold_starts, c.billed_ms, c.max_memory_mb, c.cost_x86
            )?;
        }
        Ok(())
    }
}

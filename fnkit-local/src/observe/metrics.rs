//! Counters since start-up, for `/_fnkit/metrics` (Prometheus text format) and the summary
//! printed at shutdown. The ledger holds the full history; these are this process's view.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use crate::report::{Outcome, Record};

/// Upper bounds of the duration histogram, in milliseconds.
const BUCKETS_MS: [f64; 12] = [
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0, 30000.0,
];

#[derive(Debug, Default, Clone)]
pub(crate) struct FunctionCounters {
    pub by_outcome: BTreeMap<&'static str, u64>,
    pub cold_starts: u64,
    pub duration_sum_ms: f64,
    pub buckets: [u64; BUCKETS_MS.len()],
    pub executed: u64,
    pub billed_ms: u64,
    pub cost_x86: f64,
    pub max_memory_mb: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    functions: Mutex<BTreeMap<String, FunctionCounters>>,
}

impl Metrics {
    pub fn observe(&self, r: &Record, cold: bool) {
        let mut all = self.functions.lock().unwrap();
        let c = all.entry(r.function.clone()).or_default();
        *c.by_outcome.entry(r.outcome.as_str()).or_default() += 1;
        if r.outcome == Outcome::Throttled {
            return;
        }
        c.cold_starts += u64::from(cold);
        c.executed += 1;
        c.duration_sum_ms += r.duration_ms;
        for (bucket, bound) in c.buckets.iter_mut().zip(BUCKETS_MS) {
            if r.duration_ms <= bound {
                *bucket += 1;
            }
        }
        c.billed_ms += r.billed_ms;
        c.cost_x86 += r.cost_x86;
        c.max_memory_mb = c.max_memory_mb.max(r.max_memory_mb);
    }

    pub fn snapshot(&self) -> BTreeMap<String, FunctionCounters> {
        self.functions.lock().unwrap().clone()
    }

    /// The Prometheus text exposition of the counters, plus the given gauges per function
    /// (`warm`, `in_flight`).
    // long: one metric family after another, in exposition order; split up, the format would
    // be scattered over helpers that each write one block.
    pub fn prometheus(&self, gauges: &[(String, usize, usize)]) -> String {
        let all = self.snapshot();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP fnkit_invocations_total Invocations by function and outcome."
        );
        let _ = writeln!(out, "# TYPE fnkit_invocations_total counter");
        for (f, c) in &all {
            for (outcome, n) in &c.by_outcome {
                let _ = writeln!(
                    out,
                    "fnkit_invocations_total{{function=\"{f}\",outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP fnkit_cold_starts_total Invocations that started a new execution environment."
        );
        let _ = writeln!(out, "# TYPE fnkit_cold_starts_total counter");
        for (f, c) in &all {
            let _ = writeln!(
                out,
                "fnkit_cold_starts_total{{function=\"{f}\"}} {}",
                c.cold_starts
            );
        }
        let _ = writeln!(
            out,
            "# HELP fnkit_duration_milliseconds Duration of the invoke phase."
        );
        let _ = writeln!(out, "# TYPE fnkit_duration_milliseconds histogram");
        for (f, c) in &all {
            for (bound, n) in BUCKETS_MS.iter().zip(c.buckets) {
                let _ = writeln!(
                    out,
                    "fnkit_duration_milliseconds_bucket{{function=\"{f}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "fnkit_duration_milliseconds_bucket{{function=\"{f}\",le=\"+Inf\"}} {}",
                c.executed
            );
            let _ = writeln!(
                out,
                "fnkit_duration_milliseconds_sum{{function=\"{f}\"}} {}",
                c.duration_sum_ms
            );
            let _ = writeln!(
                out,
                "fnkit_duration_milliseconds_count{{function=\"{f}\"}} {}",
                c.executed
            );
        }
        let _ = writeln!(
            out,
            "# HELP fnkit_billed_milliseconds_total Billed duration, init included on cold starts."
        );
        let _ = writeln!(out, "# TYPE fnkit_billed_milliseconds_total counter");
        for (f, c) in &all {
            let _ = writeln!(
                out,
                "fnkit_billed_milliseconds_total{{function=\"{f}\"}} {}",
                c.billed_ms
            );
        }
        let _ = writeln!(
            out,
            "# HELP fnkit_cost_dollars_total Cost at x86_64 prices."
        );
        let _ = writeln!(out, "# TYPE fnkit_cost_dollars_total counter");
        for (f, c) in &all {
            let _ = writeln!(
                out,
                "fnkit_cost_dollars_total{{function=\"{f}\"}} {}",
                c.cost_x86
            );
        }
        let _ = writeln!(
            out,
            "# HELP fnkit_warm_environments Idle warm execution environments."
        );
        let _ = writeln!(out, "# TYPE fnkit_warm_environments gauge");
        for (f, warm, _) in gauges {
            let _ = writeln!(out, "fnkit_warm_environments{{function=\"{f}\"}} {warm}");
        }
        let _ = writeln!(out, "# HELP fnkit_in_flight Invocations running now.");
        let _ = writeln!(out, "# TYPE fnkit_in_flight gauge");
        for (f, _, running) in gauges {
            let _ = writeln!(out, "fnkit_in_flight{{function=\"{f}\"}} {running}");
        }
        out
    }
}

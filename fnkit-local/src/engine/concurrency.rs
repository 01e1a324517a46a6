//! Lambda's concurrency model: the account's pool (`--max-concurrency`, 1,000 by default), from
//! which each function with reserved concurrency takes its own slots while the others share the
//! rest; the slot a running call holds; the reason a refused call is given, and its record.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fnkit::manifest::FunctionSpec;
use tokio::sync::OwnedSemaphorePermit;

use super::ids::now_ms;
use super::{Engine, Function};
use crate::report::{Outcome, Record};

/// A running invocation's hold on its function's slot; counted while it lives.
pub(super) struct Slot {
    _permit: OwnedSemaphorePermit,
    running: Arc<AtomicUsize>,
}

impl Slot {
    pub(super) fn new(permit: OwnedSemaphorePermit, f: &Function) -> Slot {
        f.running.fetch_add(1, Ordering::Relaxed);
        Slot {
            _permit: permit,
            running: f.running.clone(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The account's concurrency pool split as Lambda splits it: each function with reserved
/// concurrency gets its own slots, and the rest (`pool` minus everything reserved) is shared by
/// the others. Errors when nothing would be left for them: Lambda's PutFunctionConcurrency keeps
/// at least 100 unreserved; here at least one, so small pools can be tried.
pub(crate) fn unreserved_pool(pool: u32, specs: &[&FunctionSpec]) -> Result<u32, String> {
    let reserved: u32 = specs.iter().filter_map(|s| s.concurrency).sum();
    if reserved >= pool {
        return Err(format!(
            "the functions reserve {reserved} concurrent executions in all, leaving none of the account's {pool} (--max-concurrency) for the others"
        ));
    }
    Ok(pool - reserved)
}

impl Function {
    /// Why Lambda refuses a call over this function's limit: `ReservedFunction…` when it has
    /// reserved concurrency, else the account's (AWS's Invoke API reference, `ThrottleReason`).
    pub(super) fn throttle_reason(&self) -> &'static str {
        if self.reserved() {
            "ReservedFunctionConcurrentInvocationLimitExceeded"
        } else {
            "ConcurrentInvocationLimitExceeded"
        }
    }
}

impl Engine {
    /// Records a refused call in the ledger and the metrics, as Lambda counts throttles.
    pub(super) async fn record_throttle(&self, f: &Function, request_id: &str, trigger: &str) {
        let record = Record {
            request_id: request_id.to_owned(),
            function: f.config.name.clone(),
            trigger: trigger.to_owned(),
            start_ms: now_ms(),
            duration_ms: 0.0,
            billed_ms: 0,
            init_ms: None,
            memory_mb: f.config.memory_mb,
            max_memory_mb: 0,
            outcome: Outcome::Throttled,
            error_type: Some("TooManyRequestsException".to_owned()),
            gb_seconds: 0.0,
            cost_x86: 0.0,
            cost_arm: 0.0,
        };
        self.account(record, false, None).await;
    }
}

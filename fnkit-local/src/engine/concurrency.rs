//! Lambda's concurrency model: the account's pool (`--max-concurrency`, 1,000 by default), from
//! which each function with reserved concurrency takes its own slots while the others share the
//! rest; the slot a running call holds; and the reason a refused call is given.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fnkit::manifest::FunctionSpec;
use tokio::sync::OwnedSemaphorePermit;

use super::Function;

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
/// the others. Errors when more is reserved than the pool holds, as PutFunctionConcurrency does.
pub(crate) fn unreserved_pool(pool: u32, specs: &[&FunctionSpec]) -> Result<u32, String> {
    let reserved: u32 = specs.iter().filter_map(|s| s.concurrency).sum();
    if reserved > pool {
        return Err(format!(
            "the functions reserve {reserved} concurrent executions in all, more than the account's {pool} (--max-concurrency)"
        ));
    }
    Ok((pool - reserved).max(1))
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

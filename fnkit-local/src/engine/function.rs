//! A function the emulator serves: its spec and configuration, its warm environments, its
//! concurrency slots and the version of the build it serves.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use fnkit::manifest::FunctionSpec;
use tokio::sync::Semaphore;

use super::environment::{Environment, FunctionConfig};

/// A function the emulator serves: its spec, binary, warm environments and limit.
pub(crate) struct Function {
    pub spec: FunctionSpec,
    pub config: Arc<FunctionConfig>,
    /// How many of its invocations can run at once: its reserved concurrency, or else the
    /// account's unreserved pool, which it shares with every other unreserved function.
    pub limit: u32,
    pub(super) idle: Mutex<Vec<Environment>>,
    /// The version number of the build being served (see `versions.rs`); a rebuild under
    /// `--watch` moves it on.
    pub(super) version: std::sync::atomic::AtomicU32,
    /// Its own slots (reserved concurrency) or the shared unreserved pool's.
    pub(super) slots: Arc<Semaphore>,
    pub(super) running: Arc<AtomicUsize>,
}

impl Function {
    /// Warm environments waiting for work.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().unwrap().len()
    }

    /// Invocations running now.
    pub fn in_flight(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// The version number of the build being served.
    pub fn version(&self) -> u32 {
        self.version.load(Ordering::Relaxed)
    }

    /// Serves build `version` from now on.
    pub fn set_version(&self, version: u32) {
        self.version.store(version, Ordering::Relaxed);
    }

    /// Whether it has reserved concurrency (its own slots, not the shared pool's).
    pub fn reserved(&self) -> bool {
        self.spec.concurrency.is_some()
    }
}

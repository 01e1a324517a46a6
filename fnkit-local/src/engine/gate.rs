//! Whether calls may run now. Under `--watch`, a saved source file closes the gate until the
//! rebuild is over: a call that arrives meanwhile waits for the new build instead of running the
//! stale one. A failed build opens it again on the last good build. Each good build is a new
//! generation; an environment of an older one is not reused.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;

/// The longest a call waits for a rebuild.
pub const WAIT_AT_MOST: std::time::Duration = std::time::Duration::from_secs(300);

/// The build being served, as the dashboard and `/_fnkit/build` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BuildState {
    /// Serving build `generation` (1 at start-up).
    Serving {
        /// The good builds so far.
        generation: u64,
    },
    /// Rebuilding after these files changed; calls wait.
    Building {
        /// The last good build, which serves again if this one fails.
        generation: u64,
        /// The changed files.
        changed: Vec<String>,
    },
    /// The last rebuild failed; build `generation` serves on.
    Failed {
        /// The build that serves.
        generation: u64,
        /// The compiler's errors.
        errors: String,
    },
}

impl BuildState {
    /// The build that serves (or served before a rebuild began).
    pub fn generation(&self) -> u64 {
        match self {
            BuildState::Serving { generation }
            | BuildState::Building { generation, .. }
            | BuildState::Failed { generation, .. } => *generation,
        }
    }
}

/// The gate, shared by the engine (which waits at it) and the watcher (which moves it).
#[derive(Debug, Clone)]
pub struct Builds {
    state: Arc<watch::Sender<BuildState>>,
}

impl Default for Builds {
    fn default() -> Builds {
        Builds {
            state: Arc::new(watch::Sender::new(BuildState::Serving { generation: 1 })),
        }
    }
}

impl Builds {
    /// The state now.
    pub fn state(&self) -> BuildState {
        self.state.borrow().clone()
    }

    /// A receiver that sees every change (for the dashboard's stream).
    pub fn subscribe(&self) -> watch::Receiver<BuildState> {
        self.state.subscribe()
    }

    /// Closes the gate: `changed` files are being rebuilt.
    pub fn building(&self, changed: Vec<String>) {
        self.state.send_modify(|s| {
            *s = BuildState::Building {
                generation: s.generation(),
                changed,
            }
        });
    }

    /// Opens the gate on the last good build after a failed rebuild.
    pub fn failed(&self, errors: String) {
        self.state.send_modify(|s| {
            *s = BuildState::Failed {
                generation: s.generation(),
                errors,
            }
        });
    }

    /// Opens the gate on the build that serves, without a new generation (the calls waiting
    /// finish on it while the emulator restarts on the new one).
    pub fn release(&self) {
        self.state.send_modify(|s| {
            *s = BuildState::Serving {
                generation: s.generation(),
            }
        });
    }

    /// Opens the gate on a new good build; returns its generation.
    pub fn built(&self) -> u64 {
        let mut next = 0;
        self.state.send_modify(|s| {
            next = s.generation() + 1;
            *s = BuildState::Serving { generation: next };
        });
        next
    }

    /// The generation that serves.
    pub(crate) fn generation(&self) -> u64 {
        self.state.borrow().generation()
    }

    /// Waits while a rebuild is under way, for [`WAIT_AT_MOST`] at most (then the call runs
    /// on what is served: a cargo stuck on a lock never holds calls for ever).
    pub(crate) async fn ready(&self) {
        if !matches!(*self.state.borrow(), BuildState::Building { .. }) {
            return;
        }
        let mut rx = self.state.subscribe();
        let rebuilt = rx.wait_for(|s| !matches!(s, BuildState::Building { .. }));
        let _ = tokio::time::timeout(WAIT_AT_MOST, rebuilt).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_wait_while_building_and_a_failure_keeps_the_generation() {
        let builds = Builds::default();
        builds.ready().await;
        builds.building(vec!["src/main.rs".into()]);
        let waiting = tokio::spawn({
            let b = builds.clone();
            async move { b.ready().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a call waits for the build");
        builds.failed("error[E0308]".into());
        waiting.await.unwrap();
        assert_eq!(builds.generation(), 1);
        builds.building(vec![]);
        assert_eq!(builds.built(), 2);
        assert_eq!(builds.state(), BuildState::Serving { generation: 2 });
    }
}

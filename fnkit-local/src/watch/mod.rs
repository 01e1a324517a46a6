//! `--watch`: serve, and rebuild on every saved change to what cargo says the binaries are built
//! from (`inputs.rs`). The moment a change is seen the engine's gate closes, so a call that
//! arrives during the rebuild waits for the new build instead of running the stale one. A good
//! build whose functions keep their attributes is swapped in place (new workers, a new version,
//! the same emulator); one whose functions changed (a route, a timeout, a new function) restarts
//! the emulator on the same listener. A failed build prints the compiler's errors (cargo's own
//! output, once), opens the gate again, and the last good build serves on.

mod inputs;
mod swap;

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fnkit::manifest::Manifest;
use tokio::sync::{mpsc, oneshot};

use crate::build::{self, Target, TargetError};
use crate::engine::gate::Builds;
use crate::{Emulator, EmulatorError, Summary};

/// How long saves keep coming after the first (an editor writes, renames, touches) before the
/// rebuild starts.
const SETTLE: Duration = Duration::from_millis(100);
/// Changed paths waiting for the rebuild loop; beyond this, notify's thread waits.
const QUEUE: usize = 1024;

/// What a rebuild builds: the targets named on the command line, or the crate the emulator
/// stands in.
#[derive(Debug, Clone)]
pub enum Plan {
    /// `--example`, `--examples`, `--package` (not `--bin`: nothing to rebuild).
    Targets(Vec<Target>),
    /// No target named: the package or workspace of the working directory.
    Discover,
}

/// A binary and its manifest when it was read already.
pub type Served = (PathBuf, Option<Manifest>);

/// Makes an emulator of these binaries that waits at this gate (the CLI adds its settings and
/// any `--functions`).
pub type Make = Arc<dyn Fn(Vec<Served>, Builds) -> Result<Emulator, EmulatorError> + Send + Sync>;

/// Serves `first` on `listener` and rebuilds on every change until `shutdown`; `started` is
/// told each time an emulator starts serving (at start-up, and after a restart). Returns the
/// summary of the last emulator.
pub async fn serve(
    plan: Plan,
    release: bool,
    first: Vec<Served>,
    make: Make,
    listener: std::net::TcpListener,
    shutdown: impl Future,
    started: impl Fn(&Emulator, SocketAddr),
) -> Result<Summary, EmulatorError> {
    let builds = Builds::default();
    let (tx, mut changes) = mpsc::channel(QUEUE);
    let mut watcher = watcher(tx)?;
    let mut shutdown = std::pin::pin!(shutdown);
    let mut served = first;
    loop {
        let (make, bins, gate) = (make.clone(), served.clone(), builds.clone());
        let emulator = tokio::task::spawn_blocking(move || make(bins, gate))
            .await
            .map_err(|e| EmulatorError::Io(std::io::Error::other(e)))??;
        let listening = tokio::net::TcpListener::from_std(listener.try_clone()?)?;
        started(&emulator, listening.local_addr()?);
        let bins: Vec<PathBuf> = emulator.functions().into_iter().map(|f| f.binary).collect();
        let files = watch_inputs(&mut watcher, bins, &emulator).await;
        let (restart_tx, restart_rx) = oneshot::channel();
        let rebuilder = Rebuilder {
            emulator: emulator.clone(),
            builds: builds.clone(),
            plan: plan.clone(),
            release,
        };
        let rebuilding = tokio::spawn(rebuilder.run(changes, files, restart_tx));
        let mut restart = None;
        let stop = async {
            tokio::select! {
                _ = &mut shutdown => {}
                next = restart_rx => restart = next.ok(),
            }
        };
        let summary = emulator.serve(listening, stop).await?;
        match restart {
            Some(next) => {
                changes = rebuilding
                    .await
                    .map_err(|e| EmulatorError::Io(std::io::Error::other(e)))?;
                served = next;
            }
            None => {
                rebuilding.abort();
                return Ok(summary);
            }
        }
    }
}

/// A watcher that sends every path it sees change.
fn watcher(tx: mpsc::Sender<PathBuf>) -> Result<notify::RecommendedWatcher, EmulatorError> {
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        for path in event.paths {
            // notify's own thread: waiting here for room is back-pressure, not a blocked runtime.
            let _ = tx.blocking_send(path);
        }
    };
    use notify::Watcher as _;
    notify::RecommendedWatcher::new(handler, notify::Config::default())
        .map_err(|e| EmulatorError::Io(std::io::Error::other(e)))
}

/// Reads what `bins` are built from (off the runtime) and watches their folders; returns the
/// files.
async fn watch_inputs(
    watcher: &mut notify::RecommendedWatcher,
    bins: Vec<PathBuf>,
    emulator: &Emulator,
) -> BTreeSet<PathBuf> {
    use notify::Watcher as _;
    let files = tokio::task::spawn_blocking(move || inputs::of(&bins))
        .await
        .unwrap_or_default();
    for folder in inputs::folders(&files) {
        // Watching a folder twice is a no-op; one that cannot be watched is said once.
        if let Err(e) = watcher.watch(&folder, notify::RecursiveMode::NonRecursive) {
            emulator.logs().info(&format!(
                "fnkit-local: cannot watch {}: {e}",
                folder.display()
            ));
        }
    }
    if files.is_empty() {
        emulator.logs().info(
            "fnkit-local: --watch found no sources to watch (no dep-info file beside the binaries)",
        );
    }
    files
}

/// The loop that turns saved changes into builds.
struct Rebuilder {
    emulator: Emulator,
    builds: Builds,
    plan: Plan,
    release: bool,
}

impl Rebuilder {
    /// Rebuilds on each change to `files` until a build needs a restart (then sends its
    /// binaries on `restart` and hands the channel of changes back).
    async fn run(
        self,
        mut changes: mpsc::Receiver<PathBuf>,
        mut files: BTreeSet<PathBuf>,
        restart: oneshot::Sender<Vec<Served>>,
    ) -> mpsc::Receiver<PathBuf> {
        let logs = self.emulator.logs().clone();
        while let Some(first) = changes.recv().await {
            if !files.contains(&first) {
                continue;
            }
            // The gate closes before anything else: calls from now on wait for this build.
            self.builds.building(vec![first.display().to_string()]);
            let mut changed = vec![first];
            while let Ok(Some(path)) = tokio::time::timeout(SETTLE, changes.recv()).await {
                if files.contains(&path) && !changed.contains(&path) {
                    changed.push(path);
                }
            }
            let names: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
            self.builds.building(names.clone());
            logs.info(&format!(
                "fnkit-local: {} changed; rebuilding (calls wait for it)",
                names.join(", ")
            ));
            let began = Instant::now();
            let (plan, release) = (self.plan.clone(), self.release);
            let built = tokio::task::spawn_blocking(move || rebuild(&plan, release))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            let took = began.elapsed().as_secs_f64();
            let next = match built {
                Ok(next) => next,
                Err(errors) => {
                    self.builds.failed(errors);
                    logs.info(&format!("fnkit-local: the build failed after {took:.1} s (errors above); the last good build serves on. Save a fix to try again."));
                    continue;
                }
            };
            match swap::swap(&self.emulator, &next).await {
                Ok(true) => {
                    logs.info(&format!(
                        "fnkit-local: rebuilt in {took:.1} s; serving build {}",
                        self.builds.generation()
                    ));
                    let bins: Vec<PathBuf> = next.iter().map(|(b, _)| b.clone()).collect();
                    files = tokio::task::spawn_blocking(move || inputs::of(&bins))
                        .await
                        .unwrap_or(files);
                }
                Ok(false) => {
                    logs.info(&format!("fnkit-local: rebuilt in {took:.1} s; the functions' attributes changed, so the emulator restarts on the new build"));
                    // Calls already waiting run on the new binary before the restart drains them.
                    self.builds.built();
                    let next = next.into_iter().map(|(b, m)| (b, Some(m))).collect();
                    let _ = restart.send(next);
                    return changes;
                }
                Err(e) => {
                    self.builds.failed(e.to_string());
                    logs.info(&format!("fnkit-local: the new build cannot be served: {e}; the last good build serves on"));
                }
            }
        }
        std::future::pending().await
    }
}

/// Builds the plan and reads each binary's manifest, or answers the compiler's errors.
fn rebuild(plan: &Plan, release: bool) -> Result<Vec<(PathBuf, Manifest)>, String> {
    let errors = |e: TargetError| match e {
        TargetError::BuildFailed { errors, .. } if !errors.is_empty() => errors,
        TargetError::NothingToServe { build_errors, .. } if !build_errors.is_empty() => {
            build_errors
        }
        other => other.to_string(),
    };
    match plan {
        Plan::Targets(targets) => build::build(targets, release)
            .map_err(errors)?
            .into_iter()
            .map(|bin| build::describe(&bin).map(|m| (bin, m)).map_err(errors))
            .collect(),
        Plan::Discover => {
            let found = build::discover(release).map_err(errors)?;
            match found.build_errors.is_empty() {
                true => Ok(found.served),
                false => Err(found.build_errors),
            }
        }
    }
}

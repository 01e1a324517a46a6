//! `--watch`: serve, and rebuild on every saved change to what cargo says the binaries are built
//! from (`inputs.rs`). The moment a change is seen the engine's gate closes, so a call that
//! arrives during the rebuild waits for the new build instead of running the stale one. A good
//! build whose functions keep their attributes is swapped in place (new workers, a new version,
//! the same emulator); one whose functions changed (a route, a timeout, a new function) restarts
//! the emulator on the same listener. A failed build prints the compiler's errors (cargo's own
//! output, once), opens the gate again, and the last good build serves on.

mod inputs;
mod snapshot;
mod swap;
mod watcher;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fnkit::manifest::Manifest;
use tokio::sync::{mpsc, oneshot};

use crate::build::{self, Target, TargetError};
use crate::engine::gate::Builds;
use crate::{Emulator, EmulatorBuilder, EmulatorError, Summary};

/// How long saves keep coming after the first (an editor writes, renames, touches) before the
/// rebuild starts, and the longest the rebuild waits for them to stop.
const SETTLE: Duration = Duration::from_millis(100);
const SETTLE_AT_MOST: Duration = Duration::from_secs(1);
/// Changed paths waiting for the rebuild loop; beyond this, notify's thread drops them (a
/// rebuild is pending anyway: everything queued is a change to a watched file).
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

/// The builder of an emulator of these binaries (the CLI adds its settings and any
/// `--functions`).
pub type Make = Arc<dyn Fn(Vec<Served>) -> EmulatorBuilder + Send + Sync>;

/// What `--watch` rebuilds, how, and where it keeps the served copies of the binaries.
#[derive(Debug, Clone)]
pub struct Rebuild {
    /// What to build.
    pub plan: Plan,
    /// `--release`.
    pub release: bool,
    /// The state directory (the copies go to its `builds/`).
    pub state_dir: PathBuf,
}

/// Which binaries an emulator is made of, and whether their copies are to be installed first.
#[derive(Debug, Clone, Copy)]
enum Install {
    /// The first set: installed, then served.
    First,
    /// A restart's new set: checked with cargo's own files, installed, then served.
    Checked,
    /// The last good set, whose copies are in place.
    No,
}

/// Serves `first` on `listener` and rebuilds on every change until `shutdown`; `started` is
/// told each time an emulator starts serving (at start-up, and after a restart). Returns the
/// summary of the last emulator.
pub async fn serve(
    rebuild: Rebuild,
    first: Vec<Served>,
    make: Make,
    listener: std::net::TcpListener,
    shutdown: impl Future,
    started: impl Fn(&Emulator, SocketAddr),
) -> Result<Summary, EmulatorError> {
    let builds = Builds::default();
    let (tx, mut changes) = mpsc::channel(QUEUE);
    let watching = watcher::Watching::start(tx)?;
    let mut shutdown = std::pin::pin!(shutdown);
    let (mut served, mut last_good): (Vec<Served>, Option<Vec<Served>>) = (first, None);
    let mut install = Install::First;
    loop {
        let emulator = match make_served(&make, &served, &builds, &rebuild.state_dir, install).await
        {
            Ok(emulator) => emulator,
            // A new set the emulator refuses (two routes that overlap, no function left...):
            // the last good one serves on.
            Err(e) if last_good.is_some() => {
                eprintln!("fnkit-local: the new build cannot be served: {e}; the last good build serves on. Save a fix to try again.");
                builds.failed(e.to_string());
                served = last_good.take().unwrap_or_default();
                install = Install::No;
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Install::Checked = install {
            builds.built();
        }
        let listening = tokio::net::TcpListener::from_std(listener.try_clone()?)?;
        started(&emulator, listening.local_addr()?);
        let bins: Vec<PathBuf> = served.iter().map(|(bin, _)| bin.clone()).collect();
        watching.follow(bins, emulator.logs()).await;
        let (restart_tx, restart_rx) = oneshot::channel();
        let rebuilder = Rebuilder {
            emulator: emulator.clone(),
            builds: builds.clone(),
            rebuild: rebuild.clone(),
            watching: watching.clone(),
        };
        let rebuilding = tokio::spawn(rebuilder.run(changes, restart_tx));
        let mut restart = None;
        let stop = async {
            tokio::select! {
                _ = &mut shutdown => {}
                next = restart_rx => restart = next.ok(),
            }
        };
        let summary = emulator.serve(listening, stop).await?;
        let Some(next) = restart else {
            rebuilding.abort();
            return Ok(summary);
        };
        changes = rebuilding.await.map_err(io)?;
        last_good = Some(std::mem::replace(&mut served, next));
        install = Install::Checked;
    }
}

fn io(e: impl std::error::Error + Send + Sync + 'static) -> EmulatorError {
    EmulatorError::Io(std::io::Error::other(e))
}

/// Makes the emulator of `served` (cargo's paths) that serves their installed copies (off the
/// runtime: it reads manifests and opens the state).
async fn make_served(
    make: &Make,
    served: &[Served],
    builds: &Builds,
    state_dir: &std::path::Path,
    install: Install,
) -> Result<Emulator, EmulatorError> {
    let (make, served, builds, state_dir) = (
        make.clone(),
        served.to_vec(),
        builds.clone(),
        state_dir.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        if let Install::Checked = install {
            // Refused here, the set leaves the last good copies in place.
            make(served.clone()).check()?;
        }
        if !matches!(install, Install::No) {
            let bins: Vec<PathBuf> = served.iter().map(|(bin, _)| bin.clone()).collect();
            snapshot::install(&state_dir, &bins)?;
        }
        let copies = served
            .into_iter()
            .map(|(bin, manifest)| (snapshot::path(&state_dir, &bin), manifest))
            .collect();
        make(copies).builds(builds).build()
    })
    .await
    .map_err(io)?
}

/// The loop that turns saved changes into builds.
struct Rebuilder {
    emulator: Emulator,
    builds: Builds,
    rebuild: Rebuild,
    watching: watcher::Watching,
}

impl Rebuilder {
    /// Rebuilds on each change until a build needs a restart (then sends its
    /// binaries on `restart` and hands the channel of changes back).
    async fn run(
        self,
        mut changes: mpsc::Receiver<PathBuf>,
        restart: oneshot::Sender<Vec<Served>>,
    ) -> mpsc::Receiver<PathBuf> {
        let logs = self.emulator.logs().clone();
        while let Some(first) = changes.recv().await {
            // The gate closes before anything else: calls from now on wait for this build.
            self.builds.building(vec![shown(&first)]);
            let settled = tokio::time::Instant::now() + SETTLE_AT_MOST;
            let mut changed = vec![first];
            loop {
                let until = settled.min(tokio::time::Instant::now() + SETTLE);
                match tokio::time::timeout_at(until, changes.recv()).await {
                    Ok(Some(path)) if !changed.contains(&path) => changed.push(path),
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
            let names: Vec<String> = changed.iter().map(|p| shown(p)).collect();
            self.builds.building(names.clone());
            logs.info(&format!(
                "fnkit-local: {} changed; rebuilding (calls wait for it)",
                names.join(", ")
            ));
            let began = Instant::now();
            let (plan, release) = (self.rebuild.plan.clone(), self.rebuild.release);
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
                    // A new module or path dependency is watched from now on.
                    let bins: Vec<PathBuf> = next.iter().map(|(b, _)| b.clone()).collect();
                    self.watching.follow(bins, &logs).await;
                }
                Ok(false) => {
                    logs.info(&format!("fnkit-local: rebuilt in {took:.1} s; the functions' attributes changed, so the emulator restarts on the new build"));
                    // Calls already waiting finish on the last good build (its copy is still in
                    // place) while the emulator drains; the next calls reach the new one.
                    self.builds.release();
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

/// A changed file as the log names it (an empty path: notify lost track of what changed).
fn shown(path: &std::path::Path) -> String {
    match path.as_os_str().is_empty() {
        true => "a watched file".to_owned(),
        false => path.display().to_string(),
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

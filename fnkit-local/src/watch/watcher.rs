//! The file watcher of `--watch`: notify on the folders of the files a build depends on, and the
//! set of those files, shared with notify's thread so it passes on only the changes that matter.
//! That thread never waits: a change is handed over with `try_send`, and when the queue is full
//! a rebuild is pending anyway (everything queued is a real change). A change notify lost track
//! of (the kernel's queue overflowed) is handed over as an empty path: rebuild to be safe.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::mpsc;

use super::inputs;
use crate::{EmulatorError, Logs};

/// The watcher and the files it watches for.
#[derive(Clone)]
pub(super) struct Watching {
    watcher: Arc<Mutex<notify::RecommendedWatcher>>,
    files: Arc<RwLock<BTreeSet<PathBuf>>>,
}

impl Watching {
    /// A watcher that sends each change to a watched file on `tx`.
    pub fn start(tx: mpsc::Sender<PathBuf>) -> Result<Watching, EmulatorError> {
        use notify::Watcher as _;
        let files: Arc<RwLock<BTreeSet<PathBuf>>> = Arc::default();
        let wanted = files.clone();
        let handler = move |event: notify::Result<notify::Event>| {
            let event = match event {
                Ok(event) if !matches!(event.kind, notify::EventKind::Access(_)) => event,
                Ok(_) => return,
                Err(_) => notify::Event::default().set_flag(notify::event::Flag::Rescan),
            };
            if event.need_rescan() {
                let _ = tx.try_send(PathBuf::new());
                return;
            }
            let wanted = wanted.read().unwrap_or_else(|e| e.into_inner());
            for path in event.paths.into_iter().filter(|p| wanted.contains(p)) {
                let _ = tx.try_send(path);
            }
        };
        let watcher = notify::RecommendedWatcher::new(handler, notify::Config::default())
            .map_err(|e| EmulatorError::Io(std::io::Error::other(e)))?;
        Ok(Watching {
            watcher: Arc::new(Mutex::new(watcher)),
            files,
        })
    }

    /// Watches what `bins` are built from, as their dep-info files say (read off the runtime,
    /// where the watches are added too), instead of what it watched for before.
    pub async fn follow(&self, bins: Vec<PathBuf>, logs: &Logs) {
        let this = self.clone();
        let added = tokio::task::spawn_blocking(move || {
            use notify::Watcher as _;
            let files = inputs::of(&bins);
            let mut problems = Vec::new();
            let mut watcher = this.watcher.lock().unwrap_or_else(|e| e.into_inner());
            // Watching a folder twice is a no-op.
            for folder in inputs::folders(&files) {
                if let Err(e) = watcher.watch(&folder, notify::RecursiveMode::NonRecursive) {
                    problems.push(format!(
                        "fnkit-local: cannot watch {}: {e}",
                        folder.display()
                    ));
                }
            }
            let none = files.is_empty();
            *this.files.write().unwrap_or_else(|e| e.into_inner()) = files;
            (none, problems)
        })
        .await;
        let (none, problems) = added.unwrap_or((true, Vec::new()));
        for problem in problems {
            logs.info(&problem);
        }
        if none {
            logs.info("fnkit-local: --watch found no sources to watch (no dep-info file beside the binaries)");
        }
    }
}

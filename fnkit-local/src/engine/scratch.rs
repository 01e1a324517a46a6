//! An execution environment's own `/tmp` (`TMPDIR`): measured, off the invocation's path,
//! against the function's ephemeral storage size. (It is made when the environment is spawned
//! and removed when its worker exits: see `environment.rs`.)

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::environment::FunctionConfig;
use crate::observe::logs::Logs;

/// How often (at most) an environment's `/tmp` is measured, off the invocation's path.
pub(super) const MEASURE_EVERY: Duration = Duration::from_secs(1);

/// Measures `tmp` on a blocking thread and says so (once) when it holds more than the function's
/// ephemeral storage, where Lambda's writes would have failed (`ENOSPC`). Symlinks are not
/// followed.
pub(super) fn measure(
    tmp: std::path::PathBuf,
    config: Arc<FunctionConfig>,
    logs: Logs,
    warned: Arc<AtomicBool>,
) {
    tokio::task::spawn_blocking(move || {
        let bytes = folder_bytes(&tmp);
        let limit = u64::from(config.ephemeral_mb) * 1024 * 1024;
        // Said once per environment, not at every measure while it stays over.
        if bytes > limit && !warned.swap(true, Ordering::Relaxed) {
            logs.platform(
                &config.name,
                None,
                &format!(
                    "fnkit-local: this environment's /tmp holds {} MB, more than its ephemeral storage of {} MB; on Lambda the writes past it fail with ENOSPC (raise `ephemeral_storage` in #[function])",
                    bytes / (1024 * 1024),
                    config.ephemeral_mb
                ),
            );
        }
    });
}

/// The bytes of the regular files under `dir`, not following symlinks.
fn folder_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(entry.path()),
                Ok(t) if t.is_file() => total += entry.metadata().map_or(0, |m| m.len()),
                _ => {}
            }
        }
    }
    total
}

/// Removes the `/tmp` folders environments of an emulator that is no longer running left behind
/// (it was killed): each is named `<emulator pid>-<function>-<id>`.
pub(crate) fn sweep_tmp(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_string_lossy()
            .split('-')
            .next()
            .unwrap_or("")
            .to_owned();
        let alive = !pid.is_empty() && std::path::Path::new("/proc").join(&pid).exists();
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

//! The scheduled cleanup: every five minutes, delete reports older than `MAX_AGE_HOURS`
//! (default 24) from the `reports` bucket.
//!
//! ```sh
//! cargo run -p fnkit-local -- --example cleanup
//! curl -X POST http://127.0.0.1:9000/_fnkit/schedules/cleanup_reports   # fire it now
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fnkit::prelude::*;

/// Deletes files under `dir` last modified before `cutoff`; returns how many.
fn delete_older_than(dir: &Path, cutoff: SystemTime) -> std::io::Result<usize> {
    let mut deleted = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            deleted += delete_older_than(&path, cutoff)?;
        } else if entry.metadata()?.modified()? < cutoff {
            std::fs::remove_file(&path)?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Where the reports are, and how old they may get.
#[derive(Debug)]
struct Settings {
    reports: PathBuf,
    max_age: Duration,
}

/// Deletes old reports.
#[function(trigger = schedule(cron = "0 */5 * * * *"), timeout = "60s")]
async fn cleanup_reports(tick: ScheduleEvent, settings: State<Settings>) -> Result<(), Error> {
    let cutoff = tick.time - settings.max_age;
    let deleted = delete_older_than(&settings.reports, cutoff)?;
    println!(
        "deleted {deleted} report(s) older than {:?}",
        settings.max_age
    );
    Ok(())
}

fn main() {
    let buckets = std::env::var_os("FNKIT_BUCKETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ".fnkit/buckets".into());
    let hours: u64 = std::env::var("MAX_AGE_HOURS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(24);
    let settings = Settings {
        reports: buckets.join("reports"),
        max_age: Duration::from_secs(hours * 3600),
    };
    fnkit::Runtime::new().state(settings).run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn deletes_only_what_is_older_than_the_cutoff() {
        let dir = std::env::temp_dir().join(format!("cleanup-example-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::write(dir.join("a/old.json"), "{}").unwrap();
        std::fs::write(dir.join("new.json"), "{}").unwrap();
        let old = std::fs::File::options()
            .write(true)
            .open(dir.join("a/old.json"))
            .unwrap();
        old.set_modified(SystemTime::now() - Duration::from_secs(3 * 86_400))
            .unwrap();
        let settings = Settings {
            reports: dir.clone(),
            max_age: Duration::from_secs(86_400),
        };
        let tick = fnkit::testing::schedule().build();
        cleanup_reports(tick, State(std::sync::Arc::new(settings)))
            .await
            .unwrap();
        assert!(!dir.join("a/old.json").exists());
        assert!(dir.join("new.json").exists());
    }
}

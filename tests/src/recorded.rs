//! What the fixtures record: an emulator over the fixtures binary whose functions append a line
//! per thing they were given to a fresh `FIXTURE_OUT` file, and waiting for those lines.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::emulator::{temp_dir, Served, TestEmulator};

/// An emulator over `fixtures` with a fresh `FIXTURE_OUT` file (returned) and fast retries;
/// schedules fire on their own only if `schedules`.
pub async fn start(fixtures: &Path, schedules: bool) -> (TestEmulator, PathBuf) {
    let out = temp_dir("out").join("out.txt");
    let o = out.clone();
    let emulator = TestEmulator::start(vec![Served::Fnkit(fixtures)], move |c| {
        c.env
            .push(("FIXTURE_OUT".into(), o.to_string_lossy().into_owned()));
        c.queue_retry_delay = Duration::from_millis(50);
        c.async_retry_base = Duration::from_millis(50);
        c.schedules = schedules;
    })
    .await;
    (emulator, out)
}

/// The lines recorded so far.
pub fn lines(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Waits (up to 30 s) until `done` holds for the recorded lines, and returns them.
pub async fn until(out: &Path, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let l = lines(out);
        if done(&l) {
            return l;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; recorded: {l:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

//! The default `--state-dir .fnkit` is relative. A file written by hand (or by a function) into a
//! bucket folder under it must fire its storage function, as it does under an absolute state
//! dir; it used to fire only at the next start. This binary holds one test, because it changes
//! the process's working directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnkit_local::Config;
use fnkit_tests::emulator::{temp_dir, Served, TestEmulator};

#[tokio::test]
async fn a_file_written_under_a_relative_state_dir_fires_its_function() {
    let dir = temp_dir("relative");
    std::env::set_current_dir(&dir).unwrap();
    let out = dir.join("out.txt");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_fixtures"));
    let config = Config {
        state_dir: PathBuf::from(".fnkit"),
        schedules: false,
        env: vec![("FIXTURE_OUT".into(), out.to_string_lossy().into_owned())],
        ..Config::default()
    };
    let emulator = TestEmulator::start_with(vec![Served::Fnkit(Path::new(&bin))], config).await;
    emulator.admin("/_fnkit/functions").await;
    // Written by hand, through the relative path.
    std::fs::create_dir_all(".fnkit/buckets/uploads/images").unwrap();
    std::fs::write(".fnkit/buckets/uploads/images/cat.png", b"meow").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = std::fs::read_to_string(&out).unwrap_or_default();
        if seen.starts_with("images/cat.png\t4\tCreated\t") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the storage function never fired: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

//! A database emptied to 0 bytes or garbled (issue 13, defect 10): the emulator says what it
//! found, keeps a damaged file under another name, starts with a new one, and does not fire the
//! storage events of objects it had already seen.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fnkit_local::Config;
use fnkit_tests::emulator::{request, temp_dir, Served, TestEmulator};
use fnkit_tests::recorded::until;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

async fn start(state_dir: &Path, out: &Path) -> TestEmulator {
    let config = Config {
        state_dir: state_dir.to_owned(),
        schedules: false,
        env: vec![("FIXTURE_OUT".into(), out.to_string_lossy().into_owned())],
        async_retry_base: Duration::from_millis(50),
        ..Config::default()
    };
    TestEmulator::start_with(vec![Served::Fnkit(&fixtures())], config).await
}

async fn upload(emulator: &TestEmulator, key: &str) {
    let reply = request(
        "PUT",
        &format!("{}/_fnkit/buckets/uploads/{key}", emulator.base),
        &[],
        b"png".to_vec(),
    )
    .await;
    assert!(reply.status < 300, "{}", reply.text());
}

/// Records `images/first.png` in a new state directory, stops, damages the database with
/// `damage`, restarts, uploads `images/second.png`: returns the lines recorded and the log of
/// the second run.
async fn after_damage(damage: impl FnOnce(&Path)) -> (Vec<String>, Vec<String>, PathBuf) {
    let dir = temp_dir("damaged");
    let (state, out) = (dir.join("state"), dir.join("out.txt"));
    let first = start(&state, &out).await;
    upload(&first, "images/first.png").await;
    until(&out, "the first upload's event", |l| l.len() == 1).await;
    first.stop().await;
    let db = state.join("fnkit.db");
    until_closed(&db).await;
    damage(&db);
    let second = start(&state, &out).await;
    upload(&second, "images/second.png").await;
    let lines = until(&out, "the second upload's event", |l| {
        l.iter().any(|l| l.starts_with("images/second.png"))
    })
    .await;
    let log = second.log();
    second.stop().await;
    (lines, log, state)
}

/// Waits until no descriptor of this process refers to `db` or its `-wal`: the stopped
/// emulator's database threads have closed it (closing checkpoints the WAL into the file, which
/// would undo the damage done after).
async fn until_closed(db: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let db = std::fs::canonicalize(db).unwrap();
    loop {
        let open = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .any(|target| {
                target.starts_with(db.parent().unwrap())
                    && target.to_string_lossy().contains("fnkit.db")
            });
        if !open {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the stopped emulator kept {db:?} open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn fired_for(lines: &[String], key: &str) -> usize {
    lines.iter().filter(|l| l.starts_with(key)).count()
}

#[tokio::test]
async fn an_emptied_database_is_reported_and_no_event_fires_again() {
    let (lines, log, _) = after_damage(|db| {
        std::fs::write(db, b"").unwrap();
        let _ = std::fs::remove_file(db.with_extension("db-wal"));
        let _ = std::fs::remove_file(db.with_extension("db-shm"));
    })
    .await;
    assert_eq!(fired_for(&lines, "images/first.png"), 1, "{lines:#?}");
    assert!(
        log.iter().any(|l| l.contains("was empty (0 bytes)")),
        "{log:#?}"
    );
}

#[tokio::test]
async fn a_garbled_database_is_kept_aside_and_no_event_fires_again() {
    let (lines, log, state) = after_damage(|db| {
        // Overwrite the header and the first pages, as a bad disk or a stray write would.
        let mut bytes = std::fs::read(db).unwrap();
        let n = bytes.len().min(8192);
        bytes[..n].fill(0x42);
        std::fs::write(db, bytes).unwrap();
        let _ = std::fs::remove_file(db.with_extension("db-wal"));
        let _ = std::fs::remove_file(db.with_extension("db-shm"));
    })
    .await;
    assert_eq!(fired_for(&lines, "images/first.png"), 1, "{lines:#?}");
    assert!(
        log.iter()
            .any(|l| l.contains("is damaged") && l.contains("moved to")),
        "{log:#?}"
    );
    let kept: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("fnkit.db.damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept: {kept:?}");
}

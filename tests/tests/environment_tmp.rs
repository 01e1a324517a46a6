//! Each execution environment has its own writable `/tmp` (`TMPDIR`): what a call writes there is
//! seen by the next call in the same (warm) environment, by no other environment, and is gone
//! once the environment is recycled. The configured size is reported.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{entry, Served, TestEmulator};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

#[tokio::test]
async fn an_environment_keeps_its_own_tmp_until_it_is_recycled() {
    let bin = fixtures();
    // Recycled after two calls.
    let emulator = TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], |c| {
        c.max_uses = Some(2);
    })
    .await;
    let functions = emulator.admin("/_fnkit/functions").await;
    assert_eq!(
        entry(&functions, "name", "scratch")["ephemeral_storage_mb"],
        1024
    );
    assert_eq!(
        entry(&functions, "name", "echo")["ephemeral_storage_mb"],
        512
    );

    let first = emulator
        .invoke("scratch", &json!({"write": "a.txt"}))
        .await
        .json();
    let tmp = PathBuf::from(first["tmp"].as_str().unwrap());
    assert!(
        tmp.starts_with(std::path::absolute(&emulator.state_dir).unwrap()),
        "{tmp:?} is the environment's own folder under the state dir"
    );
    assert_eq!(first["files"], json!(["a.txt"]));
    // Warm: the same environment, its file still there.
    let second = emulator.invoke("scratch", &json!({})).await.json();
    assert_eq!(second["tmp"], first["tmp"]);
    assert_eq!(second["files"], json!(["a.txt"]));
    // Two uses: recycled, and its /tmp removed with it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmp.exists() {
        assert!(
            Instant::now() < deadline,
            "{tmp:?} outlived its environment"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let third = emulator.invoke("scratch", &json!({})).await.json();
    assert_ne!(third["tmp"], first["tmp"]);
    assert_eq!(third["files"], json!([]), "a new environment starts empty");
}

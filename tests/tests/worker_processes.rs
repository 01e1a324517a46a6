//! A worker's process group: what a function starts (a child, a daemon that only forked) dies
//! with its environment, on recycle, timeout and shutdown; a worker has Lambda's 1,024 open
//! files; and a Ctrl-C in the emulator's terminal, which reaches the terminal's whole foreground
//! group, lets the calls in flight finish (issue 13, defects 5 and 7).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{request, temp_dir, Served, TestEmulator};
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

/// Whether process `pid` runs (a zombie, dead and not yet reaped by its new parent, does not).
fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // The state follows the command's closing parenthesis.
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
    })
}

/// Waits until neither process the function left behind runs; fails after 30 s.
async fn until_gone(left: &Value, after: &str) {
    let pids = [
        left["child"].as_u64().unwrap(),
        left["daemon"].as_u64().unwrap(),
    ];
    let deadline = Instant::now() + Duration::from_secs(30);
    while pids.iter().any(|pid| alive(*pid)) {
        assert!(
            Instant::now() < deadline,
            "what the function started outlived its environment after {after}: {left}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn leave_behind(emulator: &TestEmulator) -> Value {
    let reply = emulator.invoke("leave_behind", &json!({})).await;
    reply.assert_answered("leave_behind");
    let left = reply.json();
    assert!(alive(left["child"].as_u64().unwrap()), "{left}");
    assert!(alive(left["daemon"].as_u64().unwrap()), "{left}");
    left
}

#[tokio::test]
async fn what_a_function_starts_dies_with_its_environment_on_recycle() {
    let emulator = TestEmulator::start(vec![Served::Fnkit(&fixtures())], |config| {
        config.max_uses = Some(1);
    })
    .await;
    let reply = emulator.invoke("leave_behind", &json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let left = reply.json();
    until_gone(&left, "a recycle (--max-uses 1)").await;
    // As on Lambda, a function gets 1,024 open files.
    assert_eq!(left["open_files"], "1024");
    emulator.stop().await;
}

#[tokio::test]
async fn what_a_function_starts_dies_with_its_environment_on_timeout() {
    let emulator = TestEmulator::serving(&fixtures()).await;
    let left = leave_behind(&emulator).await;
    // The same warm environment times out: it is killed, with everything in its group.
    let reply = emulator
        .invoke("leave_behind", &json!({"hang": true}))
        .await;
    assert_eq!(
        reply.header("x-amz-function-error"),
        Some("Unhandled"),
        "{}",
        reply.text()
    );
    until_gone(&left, "a timeout").await;
    emulator.stop().await;
}

#[tokio::test]
async fn what_a_function_starts_dies_with_its_environment_at_shutdown() {
    let emulator = TestEmulator::serving(&fixtures()).await;
    let left = leave_behind(&emulator).await;
    emulator.stop().await;
    until_gone(&left, "shutdown").await;
}

/// Starts `fnkit-local` in a process group of its own, as a shell starts a command in a
/// terminal.
async fn start_in_own_group(state: &Path) -> fnkit_tests::process::Running {
    let mut command = tokio::process::Command::new(fnkit_tests::example_bin("fnkit-local"));
    command
        .args(["--bin", env!("CARGO_BIN_EXE_fixtures"), "--no-schedules"])
        .arg("--state-dir")
        .arg(state)
        .process_group(0);
    fnkit_tests::process::start(command).await
}

#[tokio::test]
async fn ctrl_c_in_the_terminal_drains_the_calls_in_flight() {
    let dir = temp_dir("ctrl-c");
    let fnkit_tests::process::Running {
        child: mut emulator,
        base,
        mut lines,
    } = start_in_own_group(&dir.join("state")).await;
    let started = dir.join("started");
    let release = dir.join("release");
    let call = {
        let url = format!("{base}/2015-03-31/functions/gate/invocations");
        let body = json!({"started": started, "release": release}).to_string();
        tokio::spawn(async move { request("POST", &url, &[], body.into_bytes()).await })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !started.exists() {
        assert!(Instant::now() < deadline, "the call never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    let group = rustix::process::Pid::from_raw(emulator.id().unwrap() as i32).unwrap();
    rustix::process::kill_process_group(group, rustix::process::Signal::INT).unwrap();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("draining") {
                return;
            }
        }
        panic!("fnkit-local exited without draining");
    })
    .await
    .expect("fnkit-local drains after SIGINT");
    std::fs::write(&release, b"go").unwrap();
    let reply = call.await.unwrap();
    reply.assert_answered("the call in flight, drained");
    assert_eq!(reply.json(), json!("released"));
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let status = tokio::time::timeout(Duration::from_secs(30), emulator.wait())
        .await
        .expect("fnkit-local exits after draining")
        .unwrap();
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! Nothing accepted is lost, also across a crash of the emulator: 1,000 queue messages and 1,000
//! asynchronous invocations are accepted, the emulator (a real process) is killed with SIGKILL
//! while delivering them, started again on the same state directory, and every id must have been
//! processed (at least once) by the functions, which record ids in a file outside the emulator.
//! The consumers hold every id from 500 on while a hold file exists, so the kill lands mid-way by
//! construction: ids 0 to 499 done, the rest accepted and waiting, some of it in flight.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{request, temp_dir};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const N: usize = 1000;

/// Starts `fnkit-local` as a process on port 0; returns it and its base URL.
async fn start(fnkit_local: &Path, state: &Path, out: &Path, hold: &Path) -> (Child, String) {
    let mut child = Command::new(fnkit_local)
        .args([
            "--bin",
            env!("CARGO_BIN_EXE_fixtures"),
            "--port",
            "0",
            "--no-schedules",
        ])
        .arg("--state-dir")
        .arg(state)
        .arg("--env")
        .arg(format!("FIXTURE_OUT={}", out.display()))
        .arg("--env")
        .arg(format!("FIXTURE_HOLD={}", hold.display()))
        .args([
            "--env",
            "FIXTURE_HOLD_FROM=500",
            "--queue-retry-delay",
            "50",
            "--async-retry-base",
            "50",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("fnkit-local starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.find("on http://") {
                return line[at + 3..].trim().to_owned();
            }
        }
        panic!("fnkit-local exited before serving");
    })
    .await
    .expect("fnkit-local serves within 60 s");
    // Keep reading its log, or it would block on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

fn processed(out: &Path, kind: &str) -> BTreeSet<usize> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix(kind)?.strip_prefix('\t')?.parse().ok())
        .collect()
}

// long: one story: accept, process some, kill, restart, check every id.
#[tokio::test]
async fn accepted_work_survives_a_sigkill_of_the_emulator() {
    let fnkit_local: PathBuf = fnkit_tests::example_bin("fnkit-local");
    let dir = temp_dir("crash");
    let (state, out, hold) = (
        dir.join("state"),
        dir.join("processed.txt"),
        dir.join("hold"),
    );
    std::fs::write(&hold, b"").unwrap();

    let (mut first, base) = start(&fnkit_local, &state, &out, &hold).await;
    // 1,000 queue messages, in ten batches of 100.
    for batch in 0..10 {
        let messages: Vec<serde_json::Value> = (batch * 100..(batch + 1) * 100)
            .map(|n| serde_json::json!({"n": n}))
            .collect();
        let r = request(
            "POST",
            &format!("{base}/_fnkit/queues/ids/messages"),
            &[],
            serde_json::to_vec(&messages).unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // 1,000 asynchronous invocations, each acknowledged with 202 only once stored.
    for n in 0..N {
        let r = request(
            "POST",
            &format!("{base}/2015-03-31/functions/record_async/invocations"),
            &[("x-amz-invocation-type", "Event")],
            format!("{{\"n\":{n}}}").into_bytes(),
        )
        .await;
        assert_eq!(r.status, 202);
    }
    // Ids 0 to 499 go through; from 500 on the consumers are held. Kill once the first half is done.
    let half: BTreeSet<usize> = (0..N / 2).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while processed(&out, "id") != half || processed(&out, "async") != half {
        assert!(
            Instant::now() < deadline,
            "the first half was not processed: {} + {}",
            processed(&out, "id").len(),
            processed(&out, "async").len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let (ids_before, async_before) = (processed(&out, "id").len(), processed(&out, "async").len());
    assert_eq!(
        (ids_before, async_before),
        (N / 2, N / 2),
        "held ids were processed"
    );

    std::fs::remove_file(&hold).unwrap();
    let restarted = Instant::now();
    let (mut second, base) = start(&fnkit_local, &state, &out, &hold).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (ids, asyncs) = (processed(&out, "id"), processed(&out, "async"));
        if ids.len() == N && asyncs.len() == N {
            assert_eq!(ids, (0..N).collect::<BTreeSet<_>>());
            assert_eq!(asyncs, (0..N).collect::<BTreeSet<_>>());
            break;
        }
        if Instant::now() >= deadline {
            // Say where the rest is, to tell a slow machine from lost work.
            let queue = request("GET", &format!("{base}/_fnkit/queues/ids"), &[], Vec::new()).await;
            let missing: Vec<usize> = (0..N).filter(|n| !ids.contains(n)).take(30).collect();
            panic!(
                "after the restart only {} queue ids and {} async ids were processed (before the kill: {ids_before}, {async_before}); queue now: {}; missing ids: {missing:?}",
                ids.len(),
                asyncs.len(),
                queue.text()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let queue = request("GET", &format!("{base}/_fnkit/queues/ids"), &[], Vec::new())
        .await
        .json();
    assert_eq!(queue["depth"], 0);
    assert_eq!(queue["dlq_depth"], 0);
    second.start_kill().unwrap();
    let _ = second.wait().await;
    eprintln!(
        "processed before the kill: {ids_before} queue messages, {async_before} async invocations; the rest in {:?} after the restart",
        restarted.elapsed()
    );
}

//! Nothing accepted is lost, also across a crash of the emulator: 1,000 queue messages and 1,000
//! asynchronous invocations are accepted, the emulator (a real process) is killed with SIGKILL
//! while delivering them, started again on the same state directory, and every id must have been
//! processed (at least once) by the functions, which record ids in a file outside the emulator.
//! The consumers hold every id from 500 on while a hold file exists, so the kill lands mid-way by
//! construction: ids 0 to 499 done, the rest accepted and waiting, some of it in flight.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{request, temp_dir, try_request};
use tokio::process::{Child, Command};

const N: usize = 1000;

/// `fnkit-local` over the fixtures, recording to `out`, holding ids from 500 on while `hold`
/// exists, with fast retries.
fn command(fnkit_local: &Path, state: &Path, out: &Path, hold: &Path) -> Command {
    let mut command = Command::new(fnkit_local);
    command
        .args(["--bin", env!("CARGO_BIN_EXE_fixtures"), "--no-schedules"])
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
        ]);
    command
}

/// Starts it as a process on port 0; returns it and its base URL.
async fn start(fnkit_local: &Path, state: &Path, out: &Path, hold: &Path) -> (Child, String) {
    fnkit_tests::process::start(command(fnkit_local, state, out, hold))
        .await
        .drained()
}

/// A crash story's parts: the fnkit-local binary, and in a fresh folder its state directory,
/// the file the fixtures record to, and the hold file (made: ids from 500 on are held).
fn story(label: &str) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir(label);
    let hold = dir.join("hold");
    std::fs::write(&hold, b"").unwrap();
    let fnkit_local = fnkit_tests::example_bin("fnkit-local");
    (
        fnkit_local,
        dir.join("state"),
        dir.join("processed.txt"),
        hold,
    )
}

/// Sends the queue `ids` messages 0 to N - 1, in ten batches of 100, each acknowledged.
async fn send_ids(base: &str) {
    let messages: Vec<serde_json::Value> = (0..N).map(|n| serde_json::json!({"n": n})).collect();
    for batch in messages.chunks(100) {
        let r = request(
            "POST",
            &format!("{base}/_fnkit/queues/ids/messages"),
            &[],
            serde_json::to_vec(batch).unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
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
    let (fnkit_local, state, out, hold) = story("crash");
    let (mut first, base) = start(&fnkit_local, &state, &out, &hold).await;
    send_ids(&base).await;
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

/// Uploads `images/u<n>.png` (content `upload <n>`) one after another until stopped; returns the
/// numbers acknowledged with 2xx.
fn uploader(
    base: String,
) -> (
    tokio::task::JoinHandle<Vec<usize>>,
    tokio::sync::watch::Receiver<usize>,
) {
    let (count, acked) = tokio::sync::watch::channel(0);
    let task = tokio::spawn(async move {
        let mut done = Vec::new();
        for n in 0.. {
            let url = format!("{base}/_fnkit/buckets/uploads/images/u{n}.png");
            let body = format!("upload {n}").into_bytes();
            match try_request("PUT", &url, &[], body).await {
                Ok(reply) if reply.status < 300 => {
                    done.push(n);
                    count.send_replace(done.len());
                }
                _ => break,
            }
        }
        done
    });
    (task, acked)
}

// long: one story: accept, kill during uploads, restart, kill during redelivery, restart, check.
#[tokio::test]
async fn accepted_work_survives_two_sigkills_in_a_row_one_during_uploads() {
    let (fnkit_local, state, out, hold) = story("crash-twice");
    let (mut first, base) = start(&fnkit_local, &state, &out, &hold).await;
    send_ids(&base).await;
    let half: BTreeSet<usize> = (0..N / 2).collect();
    let (uploads, mut acked) = uploader(base.clone());
    // The first crash: once half the messages are done and 20 uploads acknowledged, while the
    // uploader is in the middle of the next one.
    let deadline = Instant::now() + Duration::from_secs(60);
    while processed(&out, "id") != half || *acked.borrow_and_update() < 20 {
        assert!(
            Instant::now() < deadline,
            "the first half and 20 uploads did not happen"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let acknowledged = uploads.await.unwrap();

    // The second crash: while the held messages are delivered again (they are held once more).
    let mut second = fnkit_tests::process::start(command(&fnkit_local, &state, &out, &hold)).await;
    let redelivered = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = second.lines.next_line().await.unwrap() {
            if line.contains("delivering them again") {
                return;
            }
        }
    });
    redelivered
        .await
        .expect("the restart delivers what was in flight again");
    second.child.start_kill().unwrap();
    second.child.wait().await.unwrap();

    std::fs::remove_file(&hold).unwrap();
    let (mut third, _) = start(&fnkit_local, &state, &out, &hold).await;
    let all: BTreeSet<usize> = (0..N).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while processed(&out, "id") != all {
        assert!(
            Instant::now() < deadline,
            "after two crashes only {} of {N} ids were processed",
            processed(&out, "id").len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every acknowledged upload is there whole, and its event fired; no temporary file is left.
    let bucket = state.join("buckets/uploads/images");
    for n in &acknowledged {
        let content = std::fs::read_to_string(bucket.join(format!("u{n}.png"))).unwrap();
        assert_eq!(content, format!("upload {n}"));
    }
    fnkit_tests::recorded::until(&out, "every acknowledged upload's event", |lines| {
        acknowledged.iter().all(|n| {
            lines
                .iter()
                .any(|l| l.starts_with(&format!("images/u{n}.png\t")))
        })
    })
    .await;
    let leftovers: Vec<_> = std::fs::read_dir(state.join("buckets/uploads"))
        .unwrap()
        .flatten()
        .chain(std::fs::read_dir(&bucket).unwrap().flatten())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".fnkit-upload-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    third.start_kill().unwrap();
    let _ = third.wait().await;
}

//! Durable executions survive a crash of the emulator: 100 executions (half of them waiting for a
//! callback) are started, fnkit-local (a real process) is killed with SIGKILL while they wait,
//! started again on the same state directory, and every execution must end SUCCEEDED, with each
//! step body run as often as its semantics allow: the at-most-once step exactly once, the
//! at-least-once step at least once. The step bodies record their runs in a file outside the
//! emulator (`durable_saga` in `src/bin/durable_raw.rs`, served as a foreign function).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fnkit_tests::durable::encode;
use fnkit_tests::emulator::{request, temp_dir};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const N: u64 = 100;

async fn start(fnkit_local: &Path, state: &Path, functions: &Path) -> (Child, String) {
    let mut child = Command::new(fnkit_local)
        .args(["--port", "0", "--no-schedules"])
        .arg("--functions")
        .arg(functions)
        .arg("--state-dir")
        .arg(state)
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
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

/// How many times each step body ran, per execution number.
fn runs(out: &Path, step: &str) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for line in std::fs::read_to_string(out).unwrap_or_default().lines() {
        if let Some(n) = line.strip_prefix(step).and_then(|l| l.strip_prefix('\t')) {
            *counts.entry(n.parse().unwrap()).or_default() += 1;
        }
    }
    counts
}

async fn executions(base: &str) -> Vec<Value> {
    let url = format!("{base}/2025-12-01/functions/durable_saga/durable-executions");
    let reply = request("GET", &url, &[], Vec::new()).await;
    reply.json()["DurableExecutions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done().await {
        assert!(Instant::now() < deadline, "not within 120 s: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// long: one story: start, kill mid-way, restart, complete the callbacks, check every execution.
#[tokio::test]
async fn durable_executions_survive_a_sigkill_of_the_emulator() {
    let fnkit_local = fnkit_tests::example_bin("fnkit-local");
    let dir = temp_dir("durable-crash");
    let (state, out, functions) = (
        dir.join("state"),
        dir.join("runs.txt"),
        dir.join("functions.json"),
    );
    // Executions from 50 on are held inside their at-most-once step (after it started and ran)
    // until the hold file goes: the kill lands while their invocations are in flight.
    let hold = dir.join("hold");
    std::fs::write(&hold, b"").unwrap();
    let file = json!({"functions": [{"name": "durable_saga", "command": [env!("CARGO_BIN_EXE_durable_raw")],
        "timeout_secs": 30, "durable": {"execution_timeout_secs": 600, "retention_days": 1},
        "env": {"FIXTURE_OUT": out.to_string_lossy(), "FIXTURE_HOLD": hold.to_string_lossy(),
                "FIXTURE_HOLD_FROM": "50"}}]});
    std::fs::write(&functions, file.to_string()).unwrap();

    let (mut first, base) = start(&fnkit_local, &state, &functions).await;
    for n in 0..N {
        let input = json!({"n": n, "wait": 3, "callback": n % 2 == 0});
        let url = format!("{base}/2015-03-31/functions/durable_saga:$LATEST/invocations");
        let r = request(
            "POST",
            &url,
            &[("x-amz-invocation-type", "Event")],
            input.to_string().into_bytes(),
        )
        .await;
        assert_eq!(r.status, 202, "{}", r.text());
    }
    // Kill once every execution is past its first step: all are waiting (3 s) by then.
    wait_until("every execution reserves", async || {
        runs(&out, "reserve").len() == N as usize
    })
    .await;
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    std::fs::remove_file(&hold).unwrap();
    assert!(
        runs(&out, "ship").len() < N as usize,
        "the kill landed before the executions ended"
    );

    let (_second, base) = start(&fnkit_local, &state, &functions).await;
    // The callbacks are completed after the restart, as an outside system would.
    let mut approved = std::collections::BTreeSet::new();
    wait_until("every execution ends", async || {
        let list = executions(&base).await;
        for e in &list {
            let arn = e["DurableExecutionArn"].as_str().unwrap().to_owned();
            if e["Status"] != "RUNNING" || approved.contains(&arn) {
                continue;
            }
            let url = format!(
                "{base}/2025-12-01/durable-executions/{}/history",
                encode(&arn)
            );
            let events = request("GET", &url, &[], Vec::new()).await.json();
            let started = events["Events"]
                .as_array()
                .unwrap()
                .iter()
                .find(|ev| ev["EventType"] == "CallbackStarted")
                .cloned();
            if let Some(started) = started {
                let id = started["CallbackStartedDetails"]["CallbackId"]
                    .as_str()
                    .unwrap();
                let url = format!(
                    "{base}/2025-12-01/durable-execution-callbacks/{}/succeed",
                    encode(id)
                );
                let r = request("POST", &url, &[], b"\"ok\"".to_vec()).await;
                assert_eq!(r.status, 200, "{}", r.text());
                approved.insert(arn);
            }
        }
        list.len() == N as usize && list.iter().all(|e| e["Status"] != "RUNNING")
    })
    .await;
    let list = executions(&base).await;
    let failed: Vec<&Value> = list.iter().filter(|e| e["Status"] != "SUCCEEDED").collect();
    assert!(
        failed.is_empty(),
        "executions that did not succeed: {failed:?}"
    );
    assert_eq!(
        approved.len(),
        (N / 2) as usize,
        "every other execution waited for its callback"
    );
    // The held invocations were recorded as cut short by the crash, then invoked again.
    let mut interrupted = 0;
    for e in &list {
        let arn = e["DurableExecutionArn"].as_str().unwrap();
        let url = format!(
            "{base}/2025-12-01/durable-executions/{}/history",
            encode(arn)
        );
        let events = request("GET", &url, &[], Vec::new()).await.json();
        interrupted += events["Events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|ev| {
                ev["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorMessage"]
                    .as_str()
                    .is_some_and(|m| m.contains("stopped during the invocation"))
            })
            .count();
    }
    assert!(
        interrupted >= (N / 2) as usize,
        "each held execution had its invocation cut by the kill: {interrupted}"
    );
    let (reserve, ship) = (runs(&out, "reserve"), runs(&out, "ship"));
    assert!(
        reserve.values().all(|&c| c == 1),
        "the at-most-once step ran once each: {reserve:?}"
    );
    assert_eq!(
        ship.len(),
        N as usize,
        "the at-least-once step ran for every execution"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

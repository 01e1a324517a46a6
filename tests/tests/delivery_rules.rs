//! Queue messages reach their function as Lambda's SQS event source mapping delivers them: a full
//! batch goes at once (the batching window is the longest wait, not a pause before every batch),
//! and a redelivered message keeps the timestamps SQS gave it. An asynchronous event older than
//! its function's maximum age is dropped, not run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{request, Reply, Served, TestEmulator};
use fnkit_tests::recorded::{start, until};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

/// Sends `messages` to `queue` through the emulator's queue API; the send must be accepted.
async fn send(emulator: &TestEmulator, queue: &str, messages: &impl serde::Serialize) -> Reply {
    let url = format!("{}/_fnkit/queues/{queue}/messages", emulator.base);
    let sent = request("POST", &url, &[], serde_json::to_vec(messages).unwrap()).await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    sent
}

#[tokio::test]
async fn a_full_batch_goes_at_once_and_a_partial_one_waits_for_its_window() {
    let (emulator, out) = start(&fixtures(), false).await;
    // `batched` takes batches of 10 with a 5-minute window.
    let messages: Vec<serde_json::Value> = (0..25).map(|n| json!({ "n": n })).collect();
    send(&emulator, "batched", &messages).await;
    let seen = until(&out, "two full batches", |l| {
        l.iter().filter(|x| *x == "batch\t10").count() == 2
    })
    .await;
    // The last five wait for a full batch or the end of the window.
    assert!(!seen.iter().any(|x| x == "batch\t5"), "{seen:#?}");
    let queue = emulator.admin("/_fnkit/queues/batched").await;
    assert_eq!(queue["depth"], 5, "{queue}");
}

#[tokio::test]
async fn a_redelivered_message_keeps_its_sent_and_first_receive_timestamps() {
    let (emulator, out) = start(&fixtures(), false).await;
    let sent = send(&emulator, "orders", &json!({"qty": 0})).await;
    let id = sent.json()["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // `orders` fails a quantity of 0: three deliveries, 50 ms apart.
    let seen = until(&out, "three deliveries", |l| {
        l.iter().filter(|x| x.contains(id.as_str())).count() == 3
    })
    .await;
    let stamps: Vec<(i64, i64)> = seen
        .iter()
        .filter(|x| x.contains(id.as_str()))
        .map(|x| {
            let fields: Vec<&str> = x.split('\t').collect();
            (fields[4].parse().unwrap(), fields[5].parse().unwrap())
        })
        .collect();
    let (sent_at, first_receive) = stamps[0];
    assert!(first_receive >= sent_at, "{stamps:?}");
    assert!(
        stamps.iter().all(|s| *s == (sent_at, first_receive)),
        "every delivery carries the same timestamps: {stamps:?}"
    );
}

#[tokio::test]
async fn an_event_older_than_its_maximum_age_is_dead_lettered_without_running() {
    let bin = fixtures();
    // A first start makes the store; an event accepted seven hours ago is then put in it, as if
    // the emulator had been down (or the function busy) since.
    let first = TestEmulator::start(vec![Served::Fnkit(Path::new(&bin))], |_| {}).await;
    let config = fnkit_local::Config {
        state_dir: first.state_dir.clone(),
        schedules: false,
        ..fnkit_local::Config::default()
    };
    first.stop().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let db = rusqlite::Connection::open(config.state_dir.join("fnkit.db")).unwrap();
    db.execute(
        "INSERT INTO messages (id, kind, target, body, attributes, trigger, state, visible_at, receive_count, sent_at)
         VALUES ('old-event', 'async', 'echo', X'7B7D', '{}', 'event', 'ready', ?1, 0, ?2)",
        rusqlite::params![now, now - 7 * 3600 * 1000],
    )
    .unwrap();
    drop(db);

    let emulator = TestEmulator::start_with(vec![Served::Fnkit(Path::new(&bin))], config).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let dead = loop {
        let dead = emulator.admin("/_fnkit/async/echo/dead").await;
        if dead["messages"].as_array().is_some_and(|m| !m.is_empty()) {
            break dead;
        }
        assert!(Instant::now() < deadline, "never dead-lettered: {dead}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let entry = &dead["messages"][0];
    assert_eq!(entry["id"], "old-event");
    let error = entry["last_error"].as_str().unwrap();
    assert!(
        error.starts_with("EventAgeExceeded: ") && error.contains("maximum age of 21600 s"),
        "{error}"
    );
    // It never ran: no invocation of `echo` is in the ledger.
    let rows = emulator
        .admin("/_fnkit/invocations?function=echo&limit=10")
        .await;
    assert_eq!(rows, serde_json::json!([]), "{rows}");
}

#[tokio::test]
async fn a_batch_whose_event_would_pass_6_mb_is_split_not_failed() {
    let (emulator, out) = start(&fixtures(), false).await;
    // Seven messages of about 1 MB whose bodies are all quotes: past 6 MB as stored, so a batch
    // goes without waiting for its window, and twice that once escaped into the SQS event, over
    // Lambda's 6 MB. The batch is cut, and what is sent runs.
    let quotes = "\"".repeat(500_000);
    let messages: Vec<serde_json::Value> = (0..7).map(|_| json!(quotes)).collect();
    send(&emulator, "batched", &messages).await;
    let seen = until(&out, "a batch within 6 MB", |l| {
        l.iter().any(|x| x.starts_with("batch\t"))
    })
    .await;
    let first: usize = seen[0]["batch\t".len()..].parse().unwrap();
    assert!((1..6).contains(&first), "{seen:#?}");
    let queue = emulator.admin("/_fnkit/queues/batched").await;
    assert_eq!(queue["dlq_depth"], 0, "nothing failed: {queue}");
}

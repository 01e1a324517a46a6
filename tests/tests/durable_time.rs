//! `--durable-skip-time`: durable executions skip their waits and step retry delays, as AWS's
//! Python testing runner's virtual clock does, while their history keeps the modelled durations.

use std::path::Path;
use std::time::{Duration, Instant};

use fnkit::manifest::DurableConfig;
use fnkit_tests::durable::{history, invoke};
use fnkit_tests::emulator::{Served, TestEmulator};
use serde_json::json;

#[tokio::test]
async fn skipped_time_ends_long_waits_at_once_and_keeps_their_durations() {
    let bin = Path::new(env!("CARGO_BIN_EXE_durable_raw"));
    let mut manifest = fnkit_local::build::describe(bin).expect("the fixture describes itself");
    for f in manifest.functions.iter_mut() {
        f.durable = Some(DurableConfig::default());
    }
    let e = TestEmulator::start(vec![Served::WithManifest(bin, manifest)], |c| {
        c.durable_skip_time = true;
    })
    .await;
    let started = Instant::now();
    // A five-minute wait; the execution must end long before it would.
    let reply = invoke(&e, "durable_wait:$LATEST", json!({"seconds": 300}), &[]).await;
    assert_eq!(reply.json(), json!("waited"), "{}", reply.text());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the wait was skipped"
    );
    let arn = reply
        .header("x-amz-durable-execution-arn")
        .unwrap()
        .to_owned();
    let events = history(&e, &arn).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["EventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds[1..4],
        ["WaitStarted", "InvocationCompleted", "WaitSucceeded"]
    );
    let details = &events[1]["WaitStartedDetails"];
    assert_eq!(details["Duration"], 300);
    let end = details["ScheduledEndTimestamp"].as_f64().unwrap();
    assert!((end - events[1]["EventTimestamp"].as_f64().unwrap() - 300.0).abs() < 0.01);
    assert_eq!(events[3]["WaitSucceededDetails"]["Duration"], 300);
}

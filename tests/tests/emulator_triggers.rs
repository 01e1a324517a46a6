//! Every non-HTTP trigger fires locally with the cloud's delivery rules: storage events from
//! uploads and from files dropped in a bucket folder, queue batches with partial failures and a
//! dead-letter queue, asynchronous invocations with retries and a dead-letter store, schedules.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnkit_tests::emulator::{request, TestEmulator};
use fnkit_tests::recorded::{lines, until};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fixtures"))
}

async fn start(schedules: bool) -> (TestEmulator, PathBuf) {
    fnkit_tests::recorded::start(&fixtures(), schedules).await
}

#[tokio::test]
async fn an_upload_fires_the_matching_storage_functions_with_an_s3_event() {
    let (emulator, out) = start(false).await;
    let base = &emulator.base;
    let put = request(
        "PUT",
        &format!("{base}/_fnkit/buckets/uploads/images/my%20cat%2B1.png"),
        &[],
        b"meow".to_vec(),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let etag = put.json()["etag"].as_str().unwrap().to_owned();
    assert_eq!(
        etag, "4a4be40c96ac6314e91d93f38043a634",
        "the ETag is the MD5 of the body, as S3's"
    );
    let seen = until(&out, "the upload event", |l| !l.is_empty()).await;
    assert_eq!(seen, [format!("images/my cat+1.png\t4\tCreated\t{etag}")]);

    // Outside the prefix: stored, listed, but record_upload does not fire.
    let other = request(
        "PUT",
        &format!("{base}/_fnkit/buckets/uploads/docs/a.txt"),
        &[],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(other.status, 200);
    let listed = request(
        "GET",
        &format!("{base}/_fnkit/buckets/uploads?prefix=docs/"),
        &[],
        Vec::new(),
    )
    .await
    .json();
    assert_eq!(listed["objects"].as_array().unwrap().len(), 1);
    assert_eq!(listed["objects"][0]["key"], "docs/a.txt");
    let got = request(
        "GET",
        &format!("{base}/_fnkit/buckets/uploads/images/my%20cat%2B1.png"),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(got.body.as_ref(), b"meow");

    // A deletion fires the deletion function (for both keys), not the upload one.
    let deleted = request(
        "DELETE",
        &format!("{base}/_fnkit/buckets/uploads/docs/a.txt"),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(deleted.status, 204);
    let seen = until(&out, "the deletion event", |l| {
        l.iter().any(|x| x.starts_with("deleted"))
    })
    .await;
    assert!(
        seen.contains(&"deleted\tdocs/a.txt\tObjectRemoved:Delete".to_owned()),
        "{seen:#?}"
    );
    assert_eq!(
        seen.iter().filter(|l| l.starts_with("images/")).count(),
        1,
        "{seen:#?}"
    );

    let rows = emulator
        .admin("/_fnkit/invocations?function=record_upload")
        .await;
    assert_eq!(rows[0]["trigger"], "storage");
    assert_eq!(rows[0]["outcome"], "ok");
}

#[tokio::test]
async fn a_file_written_into_the_bucket_folder_fires_once_when_complete() {
    let (emulator, out) = start(false).await;
    // Once it answers, its start-up scan of the buckets is over and the watcher is on.
    emulator.admin("/_fnkit/functions").await;
    let dir = emulator.state_dir.join("buckets/uploads/images");
    std::fs::create_dir_all(&dir).unwrap();
    // Written in three pieces 300 ms apart (longer than the quiet period), then closed: one
    // event, with the final size.
    let path = dir.join("slow.bin");
    let mut f = std::fs::File::create(&path).unwrap();
    for (i, chunk) in [&b"aaaa"[..], b"bbbb", b"cc"].into_iter().enumerate() {
        std::io::Write::write_all(&mut f, chunk).unwrap();
        std::io::Write::flush(&mut f).unwrap();
        if i < 2 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    drop(f);
    let seen = until(&out, "the watcher's event", |l| !l.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen_later = lines(&out);
    assert_eq!(
        seen_later.len(),
        1,
        "one event for one completed file: {seen_later:#?}"
    );
    assert!(
        seen[0].starts_with("images/slow.bin\t10\tCreated\t"),
        "{seen:#?}"
    );
}

#[tokio::test]
async fn keys_that_would_leave_the_bucket_are_refused_and_touch_nothing() {
    let (emulator, _out) = start(false).await;
    let base = &emulator.base;
    for key in [
        "..%2F..%2Fescape.txt",
        "%2Fetc%2Fescape",
        "a%2F..%2F..%2Fescape",
        "nul%00byte",
    ] {
        let r = request(
            "PUT",
            &format!("{base}/_fnkit/buckets/uploads/{key}"),
            &[],
            b"x".to_vec(),
        )
        .await;
        assert_eq!(r.status, 400, "{key}: {}", r.text());
        let r = request(
            "GET",
            &format!("{base}/_fnkit/buckets/uploads/{key}"),
            &[],
            Vec::new(),
        )
        .await;
        assert_eq!(r.status, 400, "{key}");
    }
    let r = request(
        "PUT",
        &format!("{base}/_fnkit/buckets/UP..loads/a"),
        &[],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(r.status, 400);
    let escaped: Vec<_> = walk(&emulator.state_dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("escape"))
        .collect();
    assert!(escaped.is_empty(), "{escaped:?}");
    assert!(
        !emulator.state_dir.join("escape.txt").exists()
            && !emulator
                .state_dir
                .parent()
                .unwrap()
                .join("escape.txt")
                .exists()
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn a_message_for_a_queue_that_does_not_exist_is_refused_not_kept_forever() {
    let (emulator, _out) = start(false).await;
    let sent = request(
        "POST",
        &format!("{}/_fnkit/queues/nosuchqueue/messages", emulator.base),
        &[],
        b"{\"qty\": 1}".to_vec(),
    )
    .await;
    assert_eq!(sent.status, 404, "{}", sent.text());
    assert!(
        sent.text().contains("orders"),
        "names what exists: {}",
        sent.text()
    );
    let kept = emulator.admin("/_fnkit/queues/nosuchqueue").await;
    assert_eq!(kept["depth"], 0, "nothing stored: {kept}");
}

// long: one story, read top to bottom: send, fail, retry, dead-letter, redrive.
#[tokio::test]
async fn a_partial_batch_failure_retries_exactly_the_failed_messages_then_dead_letters_them() {
    let (emulator, out) = start(false).await;
    let base = &emulator.base;
    let sent = request(
        "POST",
        &format!("{base}/_fnkit/queues/orders/messages"),
        &[],
        serde_json::to_vec(&json!([{"qty": 1}, {"body": {"qty": 0}, "attributes": {"source": "test"}}, {"qty": 2}])).unwrap(),
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let ids: Vec<String> = sent.json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    let bad = &ids[1];

    let seen = until(&out, "three deliveries of the bad message", |l| {
        l.iter().filter(|x| x.contains(bad.as_str())).count() >= 3
    })
    .await;
    // Wait for the move to the DLQ.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let q = emulator.admin("/_fnkit/queues/orders").await;
        if q["dlq_depth"] == 1 {
            assert_eq!(q["depth"], 0);
            assert_eq!(q["in_flight"], 0);
            break;
        }
        assert!(Instant::now() < deadline, "never dead-lettered: {q}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let seen_all = lines(&out);
    for good in [&ids[0], &ids[2]] {
        assert_eq!(
            seen_all
                .iter()
                .filter(|l| l.contains(good.as_str()))
                .count(),
            1,
            "the good messages are delivered once: {seen_all:#?}"
        );
    }
    let bad_deliveries: Vec<&String> = seen_all
        .iter()
        .filter(|l| l.contains(bad.as_str()))
        .collect();
    assert_eq!(bad_deliveries.len(), 3, "max_receive_count is 3: {seen:#?}");
    for (i, line) in bad_deliveries.iter().enumerate() {
        assert!(
            line.contains(&format!("{bad}\t{}\t0\t", i + 1)),
            "ApproximateReceiveCount counts attempts: {line}"
        );
    }
    let dlq = emulator.admin("/_fnkit/queues/orders/dlq").await;
    assert_eq!(dlq["messages"][0]["id"], *bad);
    assert_eq!(dlq["messages"][0]["attributes"]["source"], "test");
    assert_eq!(
        dlq["messages"][0]["last_error"],
        "reported in batchItemFailures"
    );

    // Redrive: back to the queue, delivered (and failing) three more times, back in the DLQ.
    let redriven = request(
        "POST",
        &format!("{base}/_fnkit/queues/orders/dlq/redrive"),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(redriven.json()["redriven"], 1);
    until(&out, "three more deliveries after the redrive", |l| {
        l.iter().filter(|x| x.contains(bad.as_str())).count() >= 6
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while emulator.admin("/_fnkit/queues/orders").await["dlq_depth"] != 1 {
        assert!(Instant::now() < deadline, "not dead-lettered again");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let rows = emulator.admin("/_fnkit/invocations?function=orders").await;
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["trigger"] == "queue"));
}

#[tokio::test]
async fn a_failing_async_invocation_is_retried_twice_then_dead_lettered_and_can_be_redriven() {
    let (emulator, out) = start(false).await;
    let base = &emulator.base;
    let accepted = request(
        "POST",
        &format!("{base}/2015-03-31/functions/flaky/invocations"),
        &[("x-amz-invocation-type", "Event")],
        b"{\"x\":1}".to_vec(),
    )
    .await;
    assert_eq!(accepted.status, 202);
    let id = accepted.header("x-amzn-requestid").unwrap().to_owned();
    let attempts = until(&out, "three attempts", |l| l.len() >= 3).await;
    assert!(
        attempts.iter().all(|l| *l == format!("flaky\t{id}")),
        "retries keep the request id: {attempts:#?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let dead = loop {
        let dead = emulator.admin("/_fnkit/async/flaky/dead").await;
        if dead["messages"].as_array().unwrap().len() == 1 {
            break dead;
        }
        assert!(Instant::now() < deadline, "never dead-lettered");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(dead["messages"][0]["id"], id);
    assert_eq!(dead["messages"][0]["receive_count"], 3);
    // The error type and its message, not the type alone.
    assert_eq!(
        dead["messages"][0]["last_error"],
        "Flaky: this function always fails"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(lines(&out).len(), 3, "1 attempt + 2 retries, no more");

    let redriven = request(
        "POST",
        &format!("{base}/_fnkit/async/flaky/redrive"),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(redriven.json()["redriven"], 1);
    until(&out, "three attempts after the redrive", |l| l.len() >= 6).await;

    let too_big = request(
        "POST",
        &format!("{base}/2015-03-31/functions/flaky/invocations"),
        &[("x-amz-invocation-type", "Event")],
        format!("\"{}\"", "x".repeat(fnkit_local::MAX_ASYNC_PAYLOAD_BYTES)).into_bytes(),
    )
    .await;
    assert_eq!(too_big.status, 413);
    // The refused payload would have run (and failed, recording a line) within the retry base.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        lines(&out).len(),
        6,
        "nothing of the refused payload was stored and run"
    );
    let dead = emulator.admin("/_fnkit/async/flaky/dead").await;
    assert_eq!(
        dead["messages"].as_array().unwrap().len(),
        1,
        "only the redriven invocation is dead: {dead}"
    );
}

#[tokio::test]
async fn schedules_fire_on_time_and_by_hand() {
    let (emulator, out) = start(false).await;
    let fired = request(
        "POST",
        &format!("{}/_fnkit/schedules/tick", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(fired.status, 202);
    let id = fired.json()["id"].as_str().unwrap().to_owned();
    let seen = until(&out, "the manual firing", |l| !l.is_empty()).await;
    assert!(seen[0].starts_with(&format!("tick\t{id}\t")), "{seen:#?}");
    assert!(seen[0].ends_with(":rule/tick"), "{seen:#?}");
    let rows = emulator.admin("/_fnkit/invocations?function=tick").await;
    assert_eq!(rows[0]["trigger"], "schedule");
    let unknown = request(
        "POST",
        &format!("{}/_fnkit/schedules/nope", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(unknown.status, 404);
    // A function that exists but has no schedule is not fired (it would fail into the
    // dead-letter store); the answer names the scheduled ones.
    let not_scheduled = request(
        "POST",
        &format!("{}/_fnkit/schedules/echo", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(not_scheduled.status, 404, "{}", not_scheduled.text());
    assert!(
        not_scheduled.text().contains("scheduled: tick"),
        "{}",
        not_scheduled.text()
    );
    drop(emulator);

    let (clock, out) = start(true).await;
    let seen = until(&out, "two firings of the per-second clock", |l| {
        l.len() >= 2
    })
    .await;
    let times: Vec<u64> = seen
        .iter()
        .map(|l| l.split('\t').nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(times[1] > times[0], "consecutive seconds: {seen:#?}");
    drop(clock);
}

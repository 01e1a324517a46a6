//! The bundled examples that keep state, run as they ship under the emulator and driven from
//! outside through the official AWS SDK for Rust: `uploads` reads an upload and writes its report
//! through aws-sdk-s3, `orders` forwards good orders through aws-sdk-sqs, `cleanup` lists and
//! deletes old reports through aws-sdk-s3. Nothing in either
//! example knows the emulator; the SDK inside the worker finds it in the environment.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use fnkit_tests::emulator::{Served, TestEmulator};
use serde_json::json;

/// Generous: the first call starts a worker, whose set-up loads the SDK's configuration.
const PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn uploads_writes_its_report_through_s3() {
    let bin = fnkit_tests::example_bin("uploads");
    let emulator = TestEmulator::serving(&bin).await;
    let s3 = aws_sdk_s3::Client::new(&fnkit_tests::sdk_config(&emulator.base).await);
    let text = "hello brave new world\nand one more line\n";
    s3.put_object()
        .bucket("uploads")
        .key("incoming/note.txt")
        .body(ByteStream::from(text.as_bytes().to_vec()))
        .send()
        .await
        .expect("PutObject into the trigger's bucket");

    // The storage trigger fires; the function reads the upload and writes the report.
    let deadline = Instant::now() + PATIENCE;
    let report = loop {
        match s3
            .get_object()
            .bucket("reports")
            .key("incoming/note.txt.json")
            .send()
            .await
        {
            Ok(found) => break found.body.collect().await.expect("body").into_bytes(),
            Err(e) => {
                let missing = e.as_service_error().is_some_and(|e| e.is_no_such_key());
                assert!(missing, "GetObject failed: {e:?}");
                assert!(
                    Instant::now() < deadline,
                    "no report: {:#?}",
                    emulator.log()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let report: serde_json::Value = serde_json::from_slice(&report).expect("a JSON report");
    assert_eq!(
        report,
        json!({"key": "incoming/note.txt", "lines": 2, "words": 8, "bytes": text.len()})
    );
    // The report is written before the invocation ends and is recorded.
    let deadline = Instant::now() + PATIENCE;
    let calls = loop {
        let calls = emulator.admin("/_fnkit/invocations").await;
        if calls.as_array().is_some_and(|c| !c.is_empty()) {
            break calls;
        }
        assert!(Instant::now() < deadline, "never recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(calls[0]["function"], "word_count", "{calls}");
    assert_eq!(calls[0]["outcome"], "ok", "{calls}");
    emulator.stop().await;
}

/// The URL of queue `name`, which must exist.
async fn queue_url(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    let found = sqs.get_queue_url().queue_name(name).send().await;
    found
        .expect("the queue exists")
        .queue_url
        .unwrap_or_default()
}

/// The queue's `ApproximateNumberOfMessages`.
async fn visible_messages(sqs: &aws_sdk_sqs::Client, url: &str) -> Option<String> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("GetQueueAttributes");
    attributes
        .attributes
        .unwrap_or_default()
        .remove(&QueueAttributeName::ApproximateNumberOfMessages)
}

#[tokio::test]
async fn orders_forwards_the_good_orders_through_sqs() {
    let bin = fnkit_tests::example_bin("orders");
    let emulator = TestEmulator::serving(&bin).await;
    let sqs = aws_sdk_sqs::Client::new(&fnkit_tests::sdk_config(&emulator.base).await);
    let orders = [
        r#"{"sku":"tea","qty":2}"#,
        r#"{"sku":"tea","qty":0}"#,
        r#"{"sku":"???","qty":1}"#,
    ];
    let entries = orders.iter().enumerate().map(|(i, body)| {
        SendMessageBatchRequestEntry::builder()
            .id(format!("order{i}"))
            .message_body(*body)
            .build()
            .expect("an entry")
    });
    let sent = sqs
        .send_message_batch()
        .queue_url(queue_url(&sqs, "orders").await)
        .set_entries(Some(entries.collect()))
        .send()
        .await
        .expect("SendMessageBatch");
    assert_eq!(sent.successful.len(), 3, "{sent:?}");

    // The good order reaches `shipments`, which nothing consumes, so it waits there.
    let shipments = queue_url(&sqs, "shipments").await;
    let deadline = Instant::now() + PATIENCE;
    let forwarded = loop {
        let got = sqs
            .receive_message()
            .queue_url(&shipments)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("ReceiveMessage");
        if let Some(message) = got.messages.unwrap_or_default().pop() {
            break message;
        }
        assert!(
            Instant::now() < deadline,
            "nothing forwarded: {:#?}",
            emulator.log()
        );
    };
    let body: serde_json::Value =
        serde_json::from_str(forwarded.body().unwrap_or_default()).expect("a JSON order");
    assert_eq!(body, json!({"sku": "tea", "qty": 2}));

    // The two bad orders are delivered again, and after three tries dead-lettered.
    let dlq = queue_url(&sqs, "orders-dlq").await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let depth = visible_messages(&sqs, &dlq).await;
        if depth.as_deref() == Some("2") {
            break;
        }
        assert!(Instant::now() < deadline, "dead-letter depth {depth:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    emulator.stop().await;
}

#[tokio::test]
async fn cleanup_deletes_old_reports_through_s3() {
    let bin = fnkit_tests::example_bin("cleanup");
    // Every report is old: the command line's variable wins over the attribute's 24 hours.
    let emulator = TestEmulator::start(vec![Served::Fnkit(&bin)], |c| {
        c.env = vec![("MAX_AGE_HOURS".into(), "0".into())];
    })
    .await;
    let s3 = aws_sdk_s3::Client::new(&fnkit_tests::sdk_config(&emulator.base).await);
    let mut newest = SystemTime::UNIX_EPOCH;
    for key in ["old.json", "2026/11/older.json"] {
        s3.put_object()
            .bucket("reports")
            .key(key)
            .body(ByteStream::from_static(b"{}"))
            .send()
            .await
            .expect("PutObject");
        let head = s3.head_object().bucket("reports").key(key).send().await;
        let modified = head
            .expect("HeadObject")
            .last_modified
            .expect("LastModified");
        newest = newest.max(SystemTime::try_from(modified).expect("a time"));
    }
    // A schedule's time has whole seconds: fire it once that second is past the uploads.
    while SystemTime::now() < newest + Duration::from_secs(1) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fired = fnkit_tests::emulator::request(
        "POST",
        &format!("{}/_fnkit/schedules/cleanup_reports", emulator.base),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(fired.status, 202, "{}", fired.text());

    let deadline = Instant::now() + PATIENCE;
    loop {
        let listed = s3.list_objects_v2().bucket("reports").send().await;
        let keys: Vec<String> = listed
            .expect("ListObjectsV2")
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        if keys.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still there: {keys:?}: {:#?}",
            emulator.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    emulator.stop().await;
}

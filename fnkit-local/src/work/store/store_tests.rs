//! The store's state machine against an in-memory database: claim → retry → dead letter →
//! redrive, crash recovery, delays, and the bucket index written atomically with its events.

use super::*;

fn message(id: &str, kind: Kind, target: &str) -> NewMessage {
    NewMessage {
        id: id.to_owned(),
        kind,
        target: target.to_owned(),
        body: format!("body of {id}").into_bytes(),
        attributes: serde_json::json!({"a": "1"}),
        trigger: "queue".to_owned(),
        delay_ms: 0,
    }
}

fn ids(messages: &[StoredMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_str()).collect()
}

#[tokio::test]
async fn claims_in_order_count_receives_and_complete_removes() {
    let store = Store::in_memory();
    let batch = ["m1", "m2", "m3"].map(|id| message(id, Kind::Queue, "q"));
    store.enqueue(batch.to_vec()).await.unwrap();
    let first = store.claim(Kind::Queue, "q", 2, usize::MAX).await.unwrap();
    assert_eq!(ids(&first), ["m1", "m2"]);
    assert!(first
        .iter()
        .all(|m| m.receive_count == 1 && m.state == "inflight"));
    assert_eq!(first[0].body, "body of m1");
    assert_eq!(first[0].attributes["a"], "1");
    // The first receive is stamped once, as SQS's ApproximateFirstReceiveTimestamp.
    let stamped = first[0].attributes[FIRST_RECEIVE].as_str().unwrap();
    assert!(stamped.parse::<i64>().unwrap() >= first[0].sent_at);
    let counts = store.queue_counts("q").await.unwrap();
    assert_eq!((counts.depth, counts.in_flight), (1, 2));
    store
        .complete(vec!["m1".into(), "m2".into()])
        .await
        .unwrap();
    let rest = store.claim(Kind::Queue, "q", 10, usize::MAX).await.unwrap();
    assert_eq!(ids(&rest), ["m3"]);
    // Another kind or target sees nothing.
    assert!(store
        .claim(Kind::Async, "q", 10, usize::MAX)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_retry_waits_its_delay_and_counts_the_next_receive() {
    let store = Store::in_memory();
    store
        .enqueue(vec![message("m", Kind::Queue, "q")])
        .await
        .unwrap();
    let first = store.claim(Kind::Queue, "q", 1, usize::MAX).await.unwrap();
    store.retry(vec!["m".into()], 60_000, "boom").await.unwrap();
    assert!(store
        .claim(Kind::Queue, "q", 1, usize::MAX)
        .await
        .unwrap()
        .is_empty());
    let next = store.next_visible(Kind::Queue, "q").await.unwrap().unwrap();
    assert!(
        next > now_ms() + 50_000,
        "visible again only after the delay"
    );
    store
        .retry(vec!["m".into()], 0, "boom again")
        .await
        .unwrap();
    let again = store.claim(Kind::Queue, "q", 1, usize::MAX).await.unwrap();
    assert_eq!(again[0].receive_count, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("boom again"));
    assert_eq!(
        again[0].attributes[FIRST_RECEIVE], first[0].attributes[FIRST_RECEIVE],
        "a redelivery keeps the first receive's time"
    );
}

#[tokio::test]
async fn dead_letters_move_to_the_dlq_and_redrive_back_with_counts_reset() {
    let store = Store::in_memory();
    store
        .enqueue(vec![message("m", Kind::Queue, "q")])
        .await
        .unwrap();
    store.claim(Kind::Queue, "q", 1, usize::MAX).await.unwrap();
    store
        .to_dead_letter_queue(vec!["m".into()], "q-dlq", "failed 3 times")
        .await
        .unwrap();
    assert!(store
        .claim(Kind::Queue, "q", 1, usize::MAX)
        .await
        .unwrap()
        .is_empty());
    let dlq = store.list(Kind::Queue, "q-dlq", None, 10).await.unwrap();
    assert_eq!(ids(&dlq), ["m"]);
    assert_eq!(dlq[0].last_error.as_deref(), Some("failed 3 times"));
    assert_eq!(store.redrive_queue("q-dlq", "q").await.unwrap(), 1);
    let back = store.claim(Kind::Queue, "q", 1, usize::MAX).await.unwrap();
    assert_eq!(ids(&back), ["m"]);
    assert_eq!(back[0].receive_count, 1, "redrive resets the count");
}

#[tokio::test]
async fn buried_async_invocations_wait_for_a_redrive() {
    let store = Store::in_memory();
    store
        .enqueue(vec![message("a", Kind::Async, "f")])
        .await
        .unwrap();
    store.claim(Kind::Async, "f", 1, usize::MAX).await.unwrap();
    store
        .bury(vec!["a".into()], "Sandbox.Timedout")
        .await
        .unwrap();
    assert!(store
        .claim(Kind::Async, "f", 1, usize::MAX)
        .await
        .unwrap()
        .is_empty());
    let dead = store
        .list(Kind::Async, "f", Some("dead"), 10)
        .await
        .unwrap();
    assert_eq!(ids(&dead), ["a"]);
    assert_eq!(store.redrive_async("f").await.unwrap(), 1);
    assert!(store
        .list(Kind::Async, "f", Some("dead"), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.claim(Kind::Async, "f", 1, usize::MAX).await.unwrap()[0].receive_count,
        1
    );
}

#[tokio::test]
async fn recovery_makes_in_flight_work_ready_again() {
    let store = Store::in_memory();
    store
        .enqueue(vec![message("m", Kind::Queue, "q")])
        .await
        .unwrap();
    store.claim(Kind::Queue, "q", 1, usize::MAX).await.unwrap();
    assert_eq!(store.recover().await.unwrap(), 1);
    assert_eq!(
        store.claim(Kind::Queue, "q", 1, usize::MAX).await.unwrap()[0].receive_count,
        2
    );
}

#[tokio::test]
async fn delayed_messages_are_counted_but_not_delivered() {
    let store = Store::in_memory();
    let mut m = message("m", Kind::Queue, "q");
    m.delay_ms = 60_000;
    store.enqueue(vec![m]).await.unwrap();
    let counts = store.queue_counts("q").await.unwrap();
    assert_eq!((counts.depth, counts.delayed), (1, 1));
    assert!(store
        .claim(Kind::Queue, "q", 1, usize::MAX)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_object_change_and_its_events_are_one_transaction() {
    let store = Store::in_memory();
    let meta = ObjectMeta {
        size: 3,
        mtime_ns: 1,
        etag: "e".into(),
    };
    let event = message("ev", Kind::Async, "on_upload");
    store
        .object_changed("b", "in/x.txt", Some(meta.clone()), vec![event.clone()])
        .await
        .unwrap();
    store
        .object_changed("b", "out/y.txt", Some(meta.clone()), vec![])
        .await
        .unwrap();
    assert_eq!(store.object("b", "in/x.txt").await.unwrap(), Some(meta));
    let listed = store.objects("b", "in/").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, "in/x.txt");
    // The same event id again fails the whole change: the index is not updated without it.
    let newer = ObjectMeta {
        size: 4,
        mtime_ns: 2,
        etag: "f".into(),
    };
    let failed = store
        .object_changed("b", "in/x.txt", Some(newer), vec![event])
        .await;
    assert!(failed.is_err());
    assert_eq!(
        store.object("b", "in/x.txt").await.unwrap().unwrap().etag,
        "e"
    );
    assert_eq!(store.all_objects().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_claim_stops_at_its_byte_budget_but_always_takes_one() {
    let store = Store::in_memory();
    let batch = ["m1", "m2", "m3"].map(|id| message(id, Kind::Queue, "q"));
    store.enqueue(batch.to_vec()).await.unwrap();
    // Each weighs 531 bytes: a 10-byte body ("body of mN"), its attributes (`{"a":"1"}`, 9) and
    // 512 for the record's own fields.
    assert_eq!(
        store.ready(Kind::Queue, "q", 10).await.unwrap(),
        (3, 3 * 531)
    );
    assert_eq!(
        store.ready(Kind::Queue, "q", 2).await.unwrap(),
        (2, 2 * 531)
    );
    let two = store.claim(Kind::Queue, "q", 10, 1100).await.unwrap();
    assert_eq!(ids(&two), ["m1", "m2"]);
    assert_eq!(store.ready(Kind::Queue, "q", 10).await.unwrap(), (1, 531));
    let one = store.claim(Kind::Queue, "q", 10, 1).await.unwrap();
    assert_eq!(ids(&one), ["m3"]);
    assert_eq!(store.ready(Kind::Queue, "q", 10).await.unwrap(), (0, 0));
    // Released undelivered: ready again, the receive not counted.
    store.release(vec!["m3".into()]).await.unwrap();
    let again = store.claim(Kind::Queue, "q", 10, usize::MAX).await.unwrap();
    assert_eq!((ids(&again), again[0].receive_count), (vec!["m3"], 1));
}

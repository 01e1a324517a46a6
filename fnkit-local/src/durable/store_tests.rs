//! Tests of the durable store: retention, and refused checkpoints leaving nothing behind.

use super::*;
use fnkit_spec::durable::arn::ExecutionArn;
use fnkit_spec::durable::wire::ExecutionStatus;
use fnkit_spec::durable::DurableConfig;

fn ended(id: &str, end_ms: i64, retention_days: u32) -> Exec {
    let arn = ExecutionArn {
        region: "us-east-1".into(),
        account: "000000000000".into(),
        function: "f".into(),
        version: "$LATEST".into(),
        name: id.into(),
        id: id.into(),
    };
    let config = DurableConfig {
        execution_timeout_secs: 60,
        retention_days,
    };
    let mut exec = Exec::new(&arn, "{}".into(), config, end_ms - 1000);
    exec.status = ExecutionStatus::Succeeded;
    exec.end_ms = Some(end_ms);
    exec
}

#[tokio::test]
async fn a_refused_checkpoint_leaves_nothing_of_itself() {
    use fnkit_spec::durable::engine::chained::Targets;
    use fnkit_spec::durable::engine::invocations;
    use fnkit_spec::durable::wire::{CheckpointRequest, OperationUpdate};
    let dir = std::env::temp_dir().join(format!("fnkit-durable-{}", uuid::Uuid::new_v4()));
    let store = DurableStore::open(&dir).unwrap();
    let mut exec = ended("run", 1_000_000, 1);
    exec.status = ExecutionStatus::Running;
    exec.end_ms = None;
    let arn = exec.arn.clone();
    store.start(exec).await.unwrap();
    let envelope = store
        .transact(&arn, |l| invocations::claim(l, "req-1", 1_000_100))
        .await
        .unwrap()
        .flatten()
        .expect("claimed");
    let update = |id: &str, action: &str| -> OperationUpdate {
        serde_json::from_value(
            serde_json::json!({"Id": id, "Type": "STEP", "Action": action,
            "SubType": "Step", "Name": id}),
        )
        .unwrap()
    };
    let checkpoint = |updates: Vec<OperationUpdate>| CheckpointRequest {
        checkpoint_token: envelope.checkpoint_token.clone(),
        updates,
        client_token: None,
    };
    // The second update is refused (a step that never started cannot succeed): the first
    // must not stay behind, and the token must still be good.
    let bad = checkpoint(vec![update("a", "START"), update("b", "SUCCEED")]);
    let refused = store
        .transact_or_refuse(&arn, move |l| {
            invocations::checkpoint(l, &bad, 1_000_200, &Targets::default())
        })
        .await
        .unwrap()
        .unwrap();
    assert!(refused.unwrap_err().contains("update 1"));
    let (has_a, events) = store
        .read(&arn, |l| (l.ops.contains_key("a"), l.exec.event_seq))
        .await
        .unwrap()
        .unwrap();
    assert!(!has_a, "the refused checkpoint's first update was kept");
    assert_eq!(events, 1, "only ExecutionStarted");
    let good = checkpoint(vec![update("a", "START"), update("a", "SUCCEED")]);
    let accepted = store
        .transact_or_refuse(&arn, move |l| {
            invocations::checkpoint(l, &good, 1_000_300, &Targets::default())
        })
        .await
        .unwrap()
        .unwrap();
    assert!(
        accepted.is_ok(),
        "the token is still the latest: {accepted:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn ended_executions_are_deleted_after_their_retention_and_not_before() {
    let dir = std::env::temp_dir().join(format!("fnkit-durable-{}", uuid::Uuid::new_v4()));
    let store = DurableStore::open(&dir).unwrap();
    let day = 86_400_000;
    let now = 100 * day;
    let old = ended("old", now - 2 * day, 1);
    let kept = ended("kept", now - 2 * day, 14);
    let (old_arn, kept_arn) = (old.arn.clone(), kept.arn.clone());
    for exec in [old, kept] {
        assert!(matches!(store.start(exec).await.unwrap(), Started::New(_)));
    }
    // Loaded once, so the cache holds it too.
    assert!(store.read(&old_arn, |_| ()).await.unwrap().is_some());
    assert_eq!(store.purge(now).await.unwrap(), 1);
    assert!(store.get(&old_arn).await.unwrap().is_none());
    assert!(
        store.read(&old_arn, |_| ()).await.unwrap().is_none(),
        "not served from the cache"
    );
    assert!(store
        .events(&old_arn, 0, 10, false)
        .await
        .unwrap()
        .is_empty());
    assert!(store.get(&kept_arn).await.unwrap().is_some());
    let _ = std::fs::remove_dir_all(dir);
}

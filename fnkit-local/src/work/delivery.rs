//! Delivery of stored work: queue messages in batches to their queue's function, and accepted
//! asynchronous invocations (Invoke API `Event`, storage and schedule events) to theirs, with
//! Lambda's retry rules. A message leaves the store only once it was handled; a failure makes
//! it ready again, and after its last attempt it moves to a dead-letter queue (queues) or the
//! dead-letter store (asynchronous invocations).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fnkit::manifest::Trigger;
use fnkit::QueueMessage;
use tokio::sync::Semaphore;

use super::store::{now_ms, Kind, StoredMessage};
use super::Work;
use crate::engine::runtime_api::MAX_RESPONSE_BYTES;
use crate::engine::{Engine, Extras, InvokeError, Mode};
use crate::report::Outcome;

/// What a delivery loop works with.
#[derive(Clone)]
struct Ctx {
    engine: Arc<Engine>,
    work: Arc<Work>,
}

/// Starts a delivery loop for every queue function and every function's asynchronous
/// invocations. The loops run until the runtime stops.
pub(crate) fn start(engine: &Arc<Engine>, work: &Arc<Work>) -> Vec<tokio::task::JoinHandle<()>> {
    let core = Ctx {
        engine: engine.clone(),
        work: work.clone(),
    };
    let mut tasks = Vec::new();
    for f in engine.functions.values() {
        let name = f.config.name.clone();
        if let Trigger::Queue {
            name: queue,
            batch_size,
            window_ms,
            max_receive_count,
        } = &f.spec.trigger
        {
            let settings = QueueSettings {
                function: name.clone(),
                queue: queue.to_string(),
                batch_size: *batch_size,
                window: Duration::from_millis(u64::from(*window_ms)),
                max_receive_count: *max_receive_count,
                parallel: f.limit,
            };
            tasks.push(tokio::spawn(queue_loop(core.clone(), settings)));
        }
        let rules = AsyncRules {
            retries: f.spec.retries,
            max_age_ms: i64::from(f.spec.max_event_age_secs) * 1000,
        };
        tasks.push(tokio::spawn(async_loop(core.clone(), name, rules, f.limit)));
    }
    tasks
}

/// Waits until `target` has a visible message (or its waker fires, or a second passes); returns
/// when the first visible message became visible (Unix epoch ms).
async fn wait_for_work(core: &Ctx, kind: Kind, target: &str) -> i64 {
    let waker = core.work.waker(kind, target);
    loop {
        let notified = waker.notified();
        let next = match core.work.store.next_visible(kind, target).await {
            Ok(n) => n,
            Err(e) => {
                core.engine
                    .logs
                    .info(&format!("fnkit-local: reading the work store: {e}"));
                None
            }
        };
        let wait = match next {
            Some(at) if at <= now_ms() => return at,
            Some(at) => Duration::from_millis((at - now_ms()) as u64).min(Duration::from_secs(1)),
            None => Duration::from_secs(1),
        };
        let _ = tokio::time::timeout(wait, notified).await;
    }
}

struct QueueSettings {
    function: String,
    queue: String,
    batch_size: u32,
    window: Duration,
    max_receive_count: u32,
    parallel: u32,
}

/// Lambda's SQS poller starts with five batches at once ("five concurrent invocations") and adds
/// up to 300 a minute while messages wait, up to the function's concurrency
/// (docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
const FIRST_BATCHES: usize = 5;
const ONE_MORE_BATCH_EVERY: Duration = Duration::from_millis(200);

/// The event source mapping of one queue: a batch goes when it is full, when its event reaches
/// an invocation's 6 MB, or when its batching window (which begins when its first message
/// arrives) is over, whichever comes first; many at once, each on its own invocation.
async fn queue_loop(core: Ctx, s: QueueSettings) {
    let most = s.parallel.max(1) as usize;
    let mut granted = most.min(FIRST_BATCHES);
    let slots = Arc::new(Semaphore::new(granted));
    let s = Arc::new(s);
    loop {
        let first_visible = wait_for_work(&core, Kind::Queue, &s.queue).await;
        // Every batch is busy and messages wait: scale up, as Lambda does.
        let slot = loop {
            match tokio::time::timeout(ONE_MORE_BATCH_EVERY, slots.clone().acquire_owned()).await {
                Ok(Ok(slot)) => break slot,
                Ok(Err(_)) => return,
                Err(_) if granted < most => {
                    slots.add_permits(1);
                    granted += 1;
                }
                Err(_) => {}
            }
        };
        gather(&core, &s, first_visible).await;
        let batch = match core
            .work
            .store
            .claim(Kind::Queue, &s.queue, s.batch_size, MAX_RESPONSE_BYTES)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                core.engine.logs.info(&format!(
                    "fnkit-local: claiming from queue {}: {e}",
                    s.queue
                ));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if batch.is_empty() {
            continue;
        }
        let (core, s) = (core.clone(), s.clone());
        tokio::spawn(async move {
            deliver_batch(&core, &s, batch).await;
            drop(slot);
        });
    }
}

/// The batching window: waits until a full batch (or 6 MB) is visible or the window that began
/// when the first message became visible is over.
async fn gather(core: &Ctx, s: &QueueSettings, first_visible: i64) {
    if s.window.is_zero() {
        return;
    }
    let waited = Duration::from_millis(now_ms().saturating_sub(first_visible).max(0) as u64);
    let deadline = tokio::time::Instant::now() + s.window.saturating_sub(waited);
    let waker = core.work.waker(Kind::Queue, &s.queue);
    loop {
        let notified = waker.notified();
        match core
            .work
            .store
            .ready(Kind::Queue, &s.queue, s.batch_size)
            .await
        {
            Ok((count, bytes)) if count < s.batch_size && bytes < MAX_RESPONSE_BYTES => {}
            _ => return,
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return;
        }
    }
}

async fn deliver_batch(core: &Ctx, s: &QueueSettings, mut batch: Vec<StoredMessage>) {
    // The claim estimated the event's size; one that still comes out over Lambda's 6 MB gives
    // its last messages back, undelivered, for the next batch.
    let payload = loop {
        let payload = Bytes::from(serde_json::to_vec(&sqs_event(s, &batch)).unwrap_or_default());
        if payload.len() <= MAX_RESPONSE_BYTES || batch.len() == 1 {
            break payload;
        }
        let back: Vec<String> = batch
            .split_off(batch.len() / 2)
            .into_iter()
            .map(|m| m.id)
            .collect();
        if let Err(e) = core.work.store.release(back).await {
            let m = format!("fnkit-local: returning messages to {}: {e}", s.queue);
            core.engine.logs.info(&m);
        }
        core.work.wake(Kind::Queue, &s.queue);
    };
    let ids: Vec<String> = batch.iter().map(|m| m.id.clone()).collect();
    let failed: Result<Vec<String>, String> = match core
        .engine
        .invoke_with(
            &s.function,
            payload,
            Mode::Async,
            "queue",
            Extras::default(),
        )
        .await
    {
        Ok(invoked) if invoked.outcome == Outcome::Ok => batch_failures(&invoked.body, &ids),
        Ok(invoked) => Err(failure_reason(&invoked)),
        Err(e) => Err(e.to_string()),
    };
    let (failed, reason) = match failed {
        Ok(failed) => (failed, "reported in batchItemFailures".to_owned()),
        Err(reason) => (ids.clone(), reason),
    };
    settle_batch(core, s, &batch, &ids, &failed, &reason).await;
}

/// The SQS event for `batch`, as Lambda's event source mapping sends it.
fn sqs_event(s: &QueueSettings, batch: &[StoredMessage]) -> serde_json::Value {
    let messages: Vec<QueueMessage<String>> = batch
        .iter()
        .map(|m| {
            let mut message = QueueMessage::new(m.id.clone(), m.body.clone());
            message.receive_count = m.receive_count;
            message.queue.clone_from(&s.queue);
            (message.attributes, message.message_attributes) =
                super::attributes::split(&m.attributes);
            // Fixed when it was sent (and first received), not stamped again on a redelivery.
            message
                .attributes
                .entry("SentTimestamp".to_owned())
                .or_insert_with(|| m.sent_at.to_string());
            message
        })
        .collect();
    fnkit::platform::to_sqs_event(&s.queue, &messages)
}

/// Completes the messages that succeeded; returns the failed ones to the queue, or moves them to
/// the dead-letter queue after their last receive.
async fn settle_batch(
    core: &Ctx,
    s: &QueueSettings,
    batch: &[StoredMessage],
    ids: &[String],
    failed: &[String],
    reason: &str,
) {
    let succeeded: Vec<String> = ids
        .iter()
        .filter(|id| !failed.contains(id))
        .cloned()
        .collect();
    if let Err(e) = core.work.store.complete(succeeded).await {
        core.engine.logs.info(&format!(
            "fnkit-local: completing messages of {}: {e}",
            s.queue
        ));
    }
    let (dead, again): (Vec<&StoredMessage>, Vec<&StoredMessage>) = batch
        .iter()
        .filter(|m| failed.contains(&m.id))
        .partition(|m| m.receive_count >= s.max_receive_count);
    let again: Vec<String> = again.iter().map(|m| m.id.clone()).collect();
    let dead: Vec<String> = dead.iter().map(|m| m.id.clone()).collect();
    let delay = core.engine.config.queue_retry_delay.as_millis() as u64;
    let retried = !again.is_empty();
    if let Err(e) = core.work.store.retry(again, delay, reason).await {
        core.engine.logs.info(&format!(
            "fnkit-local: returning messages to {}: {e}",
            s.queue
        ));
    }
    if !dead.is_empty() {
        let dlq = fnkit_spec::names::dead_letter_queue(&s.queue);
        core.engine.logs.info(&format!(
            "fnkit-local: {} message(s) of queue {} moved to {dlq} after {} receives: {}",
            dead.len(),
            s.queue,
            s.max_receive_count,
            dead.join(", ")
        ));
        if let Err(e) = core
            .work
            .store
            .to_dead_letter_queue(dead, &dlq, reason)
            .await
        {
            core.engine
                .logs
                .info(&format!("fnkit-local: moving messages to {dlq}: {e}"));
        }
    }
    if retried {
        core.work.wake(Kind::Queue, &s.queue);
    }
}

/// The ids a queue function reported as failed. An id that is not in the batch makes the whole
/// batch fail, as Lambda does.
fn batch_failures(body: &[u8], ids: &[String]) -> Result<Vec<String>, String> {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let Some(failures) = value.get("batchItemFailures") else {
        return Ok(Vec::new());
    };
    let Some(failures) = failures.as_array() else {
        return Ok(Vec::new());
    };
    let mut failed = Vec::new();
    for f in failures {
        match f.get("itemIdentifier").and_then(|i| i.as_str()) {
            Some(id) if ids.iter().any(|x| x == id) => failed.push(id.to_owned()),
            other => {
                return Err(format!(
                    "invalid itemIdentifier {other:?} in batchItemFailures: the whole batch failed"
                ))
            }
        }
    }
    Ok(failed)
}

/// A function's rules for its asynchronous events: retries, and how old an event may get.
#[derive(Clone, Copy)]
struct AsyncRules {
    retries: u32,
    max_age_ms: i64,
}

async fn async_loop(core: Ctx, function: String, rules: AsyncRules, parallel: u32) {
    let slots = Arc::new(Semaphore::new(parallel.max(1) as usize));
    loop {
        wait_for_work(&core, Kind::Async, &function).await;
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let claimed = match core
            .work
            .store
            .claim(Kind::Async, &function, 1, usize::MAX)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                core.engine.logs.info(&format!(
                    "fnkit-local: claiming async invocations of {function}: {e}"
                ));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Some(message) = claimed.into_iter().next() else {
            continue;
        };
        let core = core.clone();
        let function = function.clone();
        tokio::spawn(async move {
            deliver_async(&core, &function, rules, message).await;
            drop(slot);
        });
    }
}

async fn deliver_async(core: &Ctx, function: &str, rules: AsyncRules, m: StoredMessage) {
    let age_ms = now_ms() - m.sent_at;
    if age_ms > rules.max_age_ms {
        return too_old(core, function, rules, &m, age_ms).await;
    }
    let left = Duration::from_millis((rules.max_age_ms - age_ms) as u64);
    let extras = Extras {
        request_id: Some(m.id.clone()),
        not_after: Some(std::time::Instant::now() + left),
        ..Extras::default()
    };
    let retries = rules.retries;
    let payload = Bytes::from(m.body.clone().into_bytes());
    let failure = match core
        .engine
        .invoke_with(function, payload, Mode::Async, &m.trigger, extras)
        .await
    {
        Ok(invoked) if invoked.outcome == Outcome::Ok => None,
        Ok(invoked) => Some(failure_reason(&invoked)),
        Err(InvokeError::EventAgeExceeded) => {
            return too_old(core, function, rules, &m, now_ms() - m.sent_at).await;
        }
        Err(e) => Some(e.to_string()),
    };
    let ids = vec![m.id.clone()];
    let store = &core.work.store;
    let result = match failure {
        None => store.complete(ids).await,
        Some(reason) if m.receive_count > retries => {
            core.engine.logs.info(&format!(
                "fnkit-local: asynchronous invocation {} of {function} failed {} time(s) ({reason}); moved to the dead-letter store",
                m.id, m.receive_count
            ));
            store.bury(ids, &reason).await
        }
        Some(reason) => {
            // Lambda retries after about 1 and 2 minutes; here the base delay is configurable.
            let delay = core.engine.config.async_retry_base.as_millis() as u64
                * (1 << (m.receive_count - 1).min(10));
            core.engine.logs.info(&format!(
                "fnkit-local: asynchronous invocation {} of {function} failed ({reason}); retry {} of {retries} in {delay} ms",
                m.id, m.receive_count
            ));
            let r = store.retry(ids, delay, &reason).await;
            core.work.wake(Kind::Async, function);
            r
        }
    };
    if let Err(e) = result {
        core.engine
            .logs
            .info(&format!("fnkit-local: recording the end of {}: {e}", m.id));
    }
}

/// Drops an event older than its function's maximum age to the dead-letter store: Lambda
/// discards it with the condition `EventAgeExceeded` (as opposed to `RetriesExhausted`).
async fn too_old(core: &Ctx, function: &str, rules: AsyncRules, m: &StoredMessage, age_ms: i64) {
    let reason = format!(
        "EventAgeExceeded: the event waited {} s, longer than its maximum age of {} s",
        age_ms / 1000,
        rules.max_age_ms / 1000
    );
    core.engine.logs.info(&format!(
        "fnkit-local: asynchronous invocation {} of {function} dropped to the dead-letter store ({reason})",
        m.id
    ));
    if let Err(e) = core.work.store.bury(vec![m.id.clone()], &reason).await {
        core.engine
            .logs
            .info(&format!("fnkit-local: recording the end of {}: {e}", m.id));
    }
}

/// Why an invocation failed, as its dead-letter entry keeps it: `errorType: errorMessage` from the
/// error the function (or the emulator, for a timeout or a crash) answered, else the outcome.
fn failure_reason(invoked: &crate::engine::Invoked) -> String {
    let kind = invoked
        .error_type
        .clone()
        .unwrap_or_else(|| invoked.outcome.as_str().to_owned());
    let answer: serde_json::Value = serde_json::from_slice(&invoked.body).unwrap_or_default();
    match answer["errorMessage"].as_str() {
        Some(message) if !message.is_empty() => format!("{kind}: {message}"),
        _ => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_failures_are_read_and_checked() {
        let ids = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            batch_failures(br#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#, &ids),
            Ok(vec!["b".to_owned()])
        );
        assert_eq!(
            batch_failures(br#"{"batchItemFailures":[]}"#, &ids),
            Ok(vec![])
        );
        assert_eq!(batch_failures(b"null", &ids), Ok(vec![]));
        assert!(
            batch_failures(br#"{"batchItemFailures":[{"itemIdentifier":"zzz"}]}"#, &ids).is_err()
        );
    }
}

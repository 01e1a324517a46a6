//! Callbacks: the ids outside systems complete them with, and what each of the three callback
//! calls (`SendDurableExecutionCallbackSuccess`, `...Failure`, `...Heartbeat`) does to a running
//! callback. A callback id names its execution and operation (URL-safe base64 of both and a
//! nonce, so it goes into a URL path as it is, for curl as for the SDKs), so the service finds
//! it without an index, and no two callbacks share one.

use crate::durable::wire::{Millis, OperationStatus, OperationType};
use base64::Engine as _;
use serde_json::json;

use super::events::{self, event};
use super::model::{Completion, Deferred, Loaded};

/// Why a callback call is refused.
#[derive(Debug)]
pub enum Refusal {
    /// It timed out (`CallbackTimeoutException`).
    TimedOut(String),
    /// It is not running (completed, or its execution ended).
    NotRunning(String),
}

/// A new callback id for operation `op_id` of execution `arn`.
pub fn new_id(arn: &str, op_id: &str) -> String {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{arn}\n{op_id}\n{nonce}"))
}

/// The execution and operation a callback id names.
pub fn parse_id(id: &str) -> Option<(String, String)> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    // Ids given before they were URL-safe are standard base64; executions keep them.
    let bytes = URL_SAFE_NO_PAD
        .decode(id)
        .or_else(|_| STANDARD.decode(id))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split('\n');
    let (arn, op) = (parts.next()?, parts.next()?);
    parts.next()?;
    Some((arn.to_owned(), op.to_owned()))
}

/// Applies `completion` to callback `id` (operation `op_id`) at `now`. A completion appends its
/// event and marks the execution to be invoked again (even while it waits on something else:
/// each completion re-invokes, as AWS does); a heartbeat appends nothing.
pub fn complete(
    l: &mut Loaded,
    id: &str,
    op_id: &str,
    completion: Completion,
    now: i64,
) -> Result<(), Refusal> {
    let stored = l
        .ops
        .get(op_id)
        .filter(|o| o.op.kind == OperationType::Callback)
        .filter(|o| {
            o.op.callback_details
                .as_ref()
                .and_then(|d| d.callback_id.as_deref())
                == Some(id)
        })
        .ok_or_else(|| Refusal::NotRunning(format!("Callback {id} not found")))?;
    match stored.op.status {
        OperationStatus::Started if l.exec.status.as_str() == "RUNNING" => {}
        OperationStatus::TimedOut => {
            return Err(Refusal::TimedOut(format!("Callback {id} has timed out")));
        }
        status => {
            return Err(Refusal::NotRunning(format!(
                "Callback {id} is {status} in an execution that is {}",
                l.exec.status
            )))
        }
    }
    if !matches!(completion, Completion::Heartbeat) && l.exec.invocation.is_some() {
        // Told to the execution at its invocation's next checkpoint, or after it ends (as a
        // wait falling due is): never between its last checkpoint and `InvocationCompleted`.
        if l.exec.deferred.iter().any(|d| d.op() == op_id) {
            return Err(Refusal::NotRunning(format!(
                "Callback {id} is already completed"
            )));
        }
        l.exec.deferred.push(Deferred::Callback {
            op: op_id.to_owned(),
            completion,
        });
        return Ok(());
    }
    apply(l, op_id, completion, now);
    Ok(())
}

/// Applies `completion` to running callback `op_id` (nothing if it is not running any more).
pub fn apply(l: &mut Loaded, op_id: &str, completion: Completion, now: i64) {
    let Some(stored) = l.ops.get(op_id) else {
        return;
    };
    if stored.op.status != OperationStatus::Started {
        return;
    }
    let mut op = stored.op.clone();
    let mut details = op.callback_details.take().unwrap_or_default();
    let (kind, body) = match completion {
        Completion::Heartbeat => {
            if let Some(clock) = l.ops.get_mut(op_id).and_then(|o| o.callback.as_mut()) {
                if clock.heartbeat_secs > 0 {
                    clock.heartbeat_at_ms = Some(now + clock.heartbeat_secs as i64 * 1000);
                }
            }
            // The clock changed: saved, though the operation as the handler sees it did not.
            l.changed.push(op_id.to_owned());
            return;
        }
        Completion::Success(result) => {
            op.status = OperationStatus::Succeeded;
            let body = json!({"Result": events::payload(&result)});
            details.result = Some(result);
            ("CallbackSucceeded", body)
        }
        Completion::Failure(error) => {
            op.status = OperationStatus::Failed;
            let body = json!({"Error": events::error(&error)});
            details.error = Some(error);
            ("CallbackFailed", body)
        }
    };
    op.end_timestamp = Some(Millis(now));
    op.callback_details = Some(details);
    let e = event(kind, Some(&op), body);
    l.put(op);
    l.append(e, now);
    l.exec.kick = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_and_name_their_operation() {
        let arn =
            "arn:aws:lambda:us-east-1:000000000000:function:saga:$LATEST/durable-execution/a/b";
        for _ in 0..50 {
            let id = new_id(arn, "op-1");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{id}"
            );
            assert_eq!(parse_id(&id), Some((arn.to_owned(), "op-1".to_owned())));
        }
        // An id given in standard base64 (before ids were URL-safe) still names its operation.
        let old = base64::engine::general_purpose::STANDARD.encode(format!("{arn}\nop-2\nn"));
        assert_eq!(parse_id(&old), Some((arn.to_owned(), "op-2".to_owned())));
        assert_eq!(parse_id("not an id"), None);
    }
}

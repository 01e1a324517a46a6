//! A checkpoint's updates applied to an execution, in order, each appending its event: the state
//! machine of botocore's `OperationUpdate` per operation type. An update that breaks a rule
//! refuses the whole checkpoint (the transaction is not saved) with the reason.
//!
//! | type | actions |
//! |---|---|
//! | EXECUTION | SUCCEED, FAIL: the result the execution ends with (the invocation then answers) |
//! | STEP | START (new or READY), SUCCEED, FAIL, RETRY (an error: a failed attempt; a payload: a condition's new state) |
//! | WAIT | START, CANCEL |
//! | CONTEXT | START, SUCCEED, FAIL |
//! | CALLBACK | START: the service gives it its id; outside systems complete it (`callbacks.rs`) |
//! | CHAINED_INVOKE | START: the target runs; its end completes the operation (`chained.rs`) |

use crate::durable::wire::{
    CallbackDetails, ContextDetails, Millis, Operation, OperationAction as A, OperationStatus as S,
    OperationType as T, OperationUpdate, StepDetails, WaitDetails,
};
use crate::durable::{self as spec, DELAY_SECS};
use serde_json::json;

use super::chained::Targets;
use super::events::{self, event};
use super::model::{CallbackClock, Loaded};

/// Applies `updates` at `now_ms`; the first broken rule is the error.
pub fn apply(
    l: &mut Loaded,
    updates: &[OperationUpdate],
    now_ms: i64,
    targets: &Targets,
) -> Result<(), String> {
    for (i, u) in updates.iter().enumerate() {
        one(l, u, now_ms, targets).map_err(|e| format!("update {i} (Id {}): {e}", u.id))?;
    }
    Ok(())
}

fn one(l: &mut Loaded, u: &OperationUpdate, now: i64, targets: &Targets) -> Result<(), String> {
    if u.kind == T::Execution {
        return execution(l, u);
    }
    check_fields(l, u)?;
    let stored = l.ops.get(&u.id).map(|o| o.op.clone());
    if let Some(op) = &stored {
        if op.kind != u.kind {
            return Err(format!("the operation is a {}, not a {}", op.kind, u.kind));
        }
        for (what, was, now) in [
            ("SubType", &op.sub_type, &u.sub_type),
            ("Name", &op.name, &u.name),
            ("ParentId", &op.parent_id, &u.parent_id),
        ] {
            if now.is_some() && was != now {
                return Err(format!(
                    "its {what} {now:?} differs from the stored {was:?}"
                ));
            }
        }
    }
    match (u.kind, u.action) {
        (T::Step, _) => step(l, u, stored, now),
        (T::Wait, _) => wait(l, u, stored, now),
        (T::Context, _) => context(l, u, stored, now),
        (T::Callback, _) => callback(l, u, stored, now),
        (T::ChainedInvoke, A::Start) if stored.is_none() => {
            super::chained::start(l, u, started(u, now), now, targets)
        }
        (T::ChainedInvoke, _) => refuse(&stored, u),
        (T::Execution, _) => unreachable!("handled above"),
    }
}

/// The result an EXECUTION update gives the execution, kept until the invocation answers.
fn execution(l: &mut Loaded, u: &OperationUpdate) -> Result<(), String> {
    match u.action {
        A::Succeed => l.exec.result = Some(u.payload.clone().unwrap_or_default()),
        A::Fail => l.exec.error = Some(u.error.clone().unwrap_or_default()),
        other => return Err(format!("EXECUTION takes SUCCEED or FAIL, not {other}")),
    }
    Ok(())
}

fn check_fields(l: &Loaded, u: &OperationUpdate) -> Result<(), String> {
    if !spec::is_operation_id(&u.id) {
        return Err("the Id must match [a-zA-Z0-9-_]{1,64}".into());
    }
    if u.name
        .as_deref()
        .is_some_and(|n| !spec::is_operation_name(n))
    {
        return Err("the Name must be 1 to 256 printable ASCII characters".into());
    }
    if u.sub_type.as_deref().is_some_and(|s| !spec::is_sub_type(s)) {
        return Err("the SubType must match [a-zA-Z0-9-_]{1,32}".into());
    }
    if u.payload
        .as_ref()
        .is_some_and(|p| p.len() > spec::MAX_PAYLOAD_BYTES)
    {
        return Err(format!(
            "the Payload is over {} bytes",
            spec::MAX_PAYLOAD_BYTES
        ));
    }
    if let Some(parent) = &u.parent_id {
        match l.ops.get(parent) {
            Some(p) if p.op.kind == T::Context => {}
            _ => return Err(format!("its ParentId {parent} is not a CONTEXT operation")),
        }
    }
    Ok(())
}

/// A new operation of the update's type, started now.
fn started(u: &OperationUpdate, now: i64) -> Operation {
    Operation {
        id: u.id.clone(),
        parent_id: u.parent_id.clone(),
        name: u.name.clone(),
        kind: u.kind,
        sub_type: u.sub_type.clone(),
        start_timestamp: Some(Millis(now)),
        end_timestamp: None,
        status: S::Started,
        execution_details: None,
        context_details: None,
        step_details: None,
        wait_details: None,
        callback_details: None,
        chained_invoke_details: None,
    }
}

fn refuse(op: &Option<Operation>, u: &OperationUpdate) -> Result<(), String> {
    let status = op
        .as_ref()
        .map_or("not started".to_owned(), |o| o.status.to_string());
    Err(format!(
        "{} {} is not allowed when it is {status}",
        u.kind, u.action
    ))
}

fn step(
    l: &mut Loaded,
    u: &OperationUpdate,
    stored: Option<Operation>,
    now: i64,
) -> Result<(), String> {
    let status = stored.as_ref().map(|o| o.status);
    let mut op = match (u.action, status) {
        (A::Start, None) => started(u, now),
        (A::Start, Some(S::Ready)) => {
            let mut op = stored.clone().unwrap_or_else(|| started(u, now));
            op.status = S::Started;
            op
        }
        (A::Succeed | A::Fail | A::Retry, Some(S::Started | S::Ready)) => {
            stored.clone().unwrap_or_else(|| started(u, now))
        }
        _ => return refuse(&stored, u),
    };
    let mut details = op.step_details.take().unwrap_or_default();
    let attempt = details.attempt.unwrap_or(0) + 1;
    let (kind, body) = match u.action {
        A::Start => ("StepStarted", json!({})),
        A::Succeed => {
            let result = u.payload.clone().unwrap_or_default();
            op.status = S::Succeeded;
            op.end_timestamp = Some(Millis(now));
            let body = json!({"Result": events::payload(&result),
                "RetryDetails": {"CurrentAttempt": attempt}});
            details.result = Some(result);
            ("StepSucceeded", body)
        }
        A::Fail => {
            let error = u.error.clone().unwrap_or_default();
            op.status = S::Failed;
            op.end_timestamp = Some(Millis(now));
            let body = json!({"Error": events::error(&error),
                "RetryDetails": {"CurrentAttempt": attempt}});
            details.error = Some(error);
            ("StepFailed", body)
        }
        _ => {
            let delay = u
                .step_options
                .as_ref()
                .and_then(|o| o.next_attempt_delay_seconds)
                .unwrap_or(1);
            if !DELAY_SECS.contains(&delay) {
                return Err(format!(
                    "NextAttemptDelaySeconds is {delay}; it must be from 1 to 31622400"
                ));
            }
            op.status = S::Pending;
            details.attempt = Some(attempt);
            details.next_attempt_timestamp = Some(Millis(now + delay as i64 * 1000));
            let retry = json!({"CurrentAttempt": attempt, "NextAttemptDelaySeconds": delay});
            // A condition's new state is a success of this attempt; an error, its failure.
            if let Some(state) = &u.payload {
                details.result = Some(state.clone());
                (
                    "StepSucceeded",
                    json!({"Result": events::payload(state), "RetryDetails": retry}),
                )
            } else {
                let error = u.error.clone().unwrap_or_default();
                details.error = Some(error.clone());
                (
                    "StepFailed",
                    json!({"Error": events::error(&error), "RetryDetails": retry}),
                )
            }
        }
    };
    op.step_details = Some(StepDetails { ..details });
    let e = event(kind, Some(&op), body);
    l.put(op);
    l.append(e, now);
    Ok(())
}

fn wait(
    l: &mut Loaded,
    u: &OperationUpdate,
    stored: Option<Operation>,
    now: i64,
) -> Result<(), String> {
    match (u.action, stored.as_ref().map(|o| o.status)) {
        (A::Start, None) => {
            let secs = u
                .wait_options
                .as_ref()
                .and_then(|o| o.wait_seconds)
                .unwrap_or(0);
            if !DELAY_SECS.contains(&secs) {
                return Err(format!(
                    "WaitSeconds is {secs}; it must be from 1 to 31622400"
                ));
            }
            let mut op = started(u, now);
            let end = now + secs as i64 * 1000;
            op.wait_details = Some(WaitDetails {
                scheduled_end_timestamp: Some(Millis(end)),
            });
            let e = event(
                "WaitStarted",
                Some(&op),
                json!({"Duration": secs, "ScheduledEndTimestamp": end}),
            );
            l.put(op);
            l.append(e, now);
            Ok(())
        }
        (A::Cancel, Some(S::Started)) => {
            let mut op = stored.unwrap_or_else(|| started(u, now));
            op.status = S::Cancelled;
            op.end_timestamp = Some(Millis(now));
            let body = match &u.error {
                Some(e) => json!({"Error": events::error(e)}),
                None => json!({}),
            };
            let e = event("WaitCancelled", Some(&op), body);
            l.put(op);
            l.append(e, now);
            Ok(())
        }
        _ => refuse(&stored, u),
    }
}

fn context(
    l: &mut Loaded,
    u: &OperationUpdate,
    stored: Option<Operation>,
    now: i64,
) -> Result<(), String> {
    let (mut op, kind, body) = match (u.action, stored.as_ref().map(|o| o.status)) {
        (A::Start, None) => (started(u, now), "ContextStarted", json!({})),
        (A::Succeed, Some(S::Started)) => {
            let mut op = stored.clone().unwrap_or_else(|| started(u, now));
            let result = u.payload.clone().unwrap_or_default();
            op.status = S::Succeeded;
            op.context_details = Some(ContextDetails {
                replay_children: u.context_options.as_ref().and_then(|o| o.replay_children),
                result: Some(result.clone()),
                error: None,
            });
            (
                op,
                "ContextSucceeded",
                json!({"Result": events::payload(&result)}),
            )
        }
        (A::Fail, Some(S::Started)) => {
            let mut op = stored.clone().unwrap_or_else(|| started(u, now));
            let error = u.error.clone().unwrap_or_default();
            op.status = S::Failed;
            op.context_details = Some(ContextDetails {
                error: Some(error.clone()),
                ..ContextDetails::default()
            });
            (op, "ContextFailed", json!({"Error": events::error(&error)}))
        }
        _ => return refuse(&stored, u),
    };
    if op.status.is_terminal() {
        op.end_timestamp = Some(Millis(now));
    }
    let e = event(kind, Some(&op), body);
    l.put(op);
    l.append(e, now);
    Ok(())
}

fn callback(
    l: &mut Loaded,
    u: &OperationUpdate,
    stored: Option<Operation>,
    now: i64,
) -> Result<(), String> {
    if u.action != A::Start || stored.is_some() {
        return refuse(&stored, u);
    }
    let options = u.callback_options.clone().unwrap_or_default();
    let timeout = options.timeout_seconds.unwrap_or(0);
    let heartbeat = options.heartbeat_timeout_seconds.unwrap_or(0);
    let longest = *DELAY_SECS.end();
    if timeout > longest || heartbeat > longest {
        return Err(format!(
            "TimeoutSeconds and HeartbeatTimeoutSeconds must be at most {longest}"
        ));
    }
    let mut op = started(u, now);
    let id = super::callbacks::new_id(&l.exec.arn, &u.id);
    op.callback_details = Some(CallbackDetails {
        callback_id: Some(id.clone()),
        ..CallbackDetails::default()
    });
    let mut details = json!({"CallbackId": id});
    if timeout > 0 {
        details["Timeout"] = json!(timeout);
    }
    if heartbeat > 0 {
        details["HeartbeatTimeout"] = json!(heartbeat);
    }
    let e = event("CallbackStarted", Some(&op), details);
    let at = |secs: u64| (secs > 0).then(|| now + secs as i64 * 1000);
    let op_id = op.id.clone();
    l.put(op);
    if let Some(stored) = l.ops.get_mut(&op_id) {
        stored.callback = Some(CallbackClock {
            timeout_at_ms: at(timeout),
            heartbeat_secs: heartbeat,
            heartbeat_at_ms: at(heartbeat),
        });
    }
    l.append(e, now);
    Ok(())
}

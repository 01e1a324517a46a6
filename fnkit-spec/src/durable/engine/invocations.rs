//! The invocations of an execution, pure over its loaded state: claiming one (the envelope it
//! receives), its checkpoints (tokens, retried calls, the delta it reads back) and judging its
//! end. One invocation of an execution at a time; a checkpoint token is valid for the invocation
//! in flight and only until it is used.

use crate::durable::wire::{
    CheckpointRequest, CheckpointResponse, ErrorObject, ExecutionState, ExecutionStatus,
    InvocationInput, InvocationOutput, InvocationStatus,
};
use crate::durable::MAX_STATE_PAGE;
use base64::Engine as _;
use serde_json::{json, Value};

use super::events::{self, event};
use super::model::{Deferred, Loaded, StoredOp, MAX_FAILED_INVOCATIONS};

/// How an invocation ended, as the engine saw it.
#[derive(Debug)]
pub enum Ended {
    /// The handler answered (its body, to be read as an envelope answer).
    Answered(Vec<u8>),
    /// A Lambda-level failure: a crash, a timeout, an error posted to the Runtime API.
    Failed(ErrorObject),
}

/// Applies the completions that arrived while the invocation was in flight.
fn apply_deferred(l: &mut Loaded, now: i64) {
    for d in std::mem::take(&mut l.exec.deferred) {
        match d {
            Deferred::Callback { op, completion } => {
                super::callbacks::apply(l, &op, completion, now)
            }
            Deferred::Chained { op, ended } => super::chained::apply(l, &op, &ended, now),
        }
    }
}

/// The token of checkpoint `seq` of invocation `request_id`.
fn token(request_id: &str, seq: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{request_id}.{seq}"))
}

/// Claims the execution for invocation `request_id` if it should run now: running, no invocation
/// in flight, something unseen, no failed invocation's retry pending. Returns its envelope.
pub fn claim(l: &mut Loaded, request_id: &str, now: i64) -> Option<InvocationInput> {
    let e = &l.exec;
    let retry_due = e.retry_at_ms.is_none_or(|at| at <= now);
    if e.status != ExecutionStatus::Running || e.invocation.is_some() || !e.kick || !retry_due {
        return None;
    }
    l.exec.invocation = Some(request_id.to_owned());
    l.exec.invocation_start_ms = now;
    l.exec.kick = false;
    l.exec.retry_at_ms = None;
    l.exec.token_seq += 1;
    // Changed since the last state an invocation saw (a wait that ended, a callback completed).
    let seen = l.exec.seen_seq;
    let mut updated: Vec<&StoredOp> = l.ops.values().filter(|o| o.touched_seq > seen).collect();
    updated.sort_by_key(|o| o.start_seq);
    let updated_operation_ids = updated.into_iter().map(|o| o.op.id.clone()).collect();
    l.exec.seen_seq = l.exec.op_seq;
    Some(InvocationInput {
        durable_execution_arn: l.exec.arn.clone(),
        checkpoint_token: token(request_id, l.exec.token_seq),
        initial_execution_state: l.page(0, MAX_STATE_PAGE),
        updated_operation_ids,
    })
}

/// Whether `given` is a token of the invocation in flight (`current`: only the latest).
fn check_token(l: &Loaded, given: &str, current: bool) -> Result<(), String> {
    let invalid =
        || "Invalid checkpoint token: it is not the latest of the invocation in flight".to_owned();
    let Some(request_id) = &l.exec.invocation else {
        return Err("Invalid checkpoint token: no invocation of the execution is in flight".into());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(given)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (id, seq) = decoded.rsplit_once('.').ok_or_else(invalid)?;
    let seq: u64 = seq.parse().map_err(|_| invalid())?;
    let ok = id == request_id && (seq == l.exec.token_seq || (!current && seq <= l.exec.token_seq));
    if ok {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// A checkpoint at `now`: the answer to send (`Ok`), or why it is refused. A call repeated with
/// the same client token and checkpoint token answers as the first did.
pub fn checkpoint(
    l: &mut Loaded,
    req: &CheckpointRequest,
    now: i64,
    targets: &super::chained::Targets,
) -> Result<Value, String> {
    if let (Some(client), Some((c, t, answer))) = (&req.client_token, &l.exec.last_checkpoint) {
        if client == c && &req.checkpoint_token == t {
            return Ok(answer.clone());
        }
    }
    if l.exec.status != ExecutionStatus::Running {
        return Err(format!(
            "the execution is {}; it takes no more checkpoints",
            l.exec.status
        ));
    }
    check_token(l, &req.checkpoint_token, true)?;
    // Completions from outside and waits and retries due now are read back in this answer
    // (the invocation needs no other).
    apply_deferred(l, now);
    // The invocation reads them in this answer: no further invocation is needed for them.
    l.exec.kick = false;
    l.apply_due(now);
    super::apply::apply(l, &req.updates, now, targets)?;
    let request_id = l.exec.invocation.clone().unwrap_or_default();
    l.exec.token_seq += 1;
    let answer = CheckpointResponse {
        checkpoint_token: Some(token(&request_id, l.exec.token_seq)),
        new_execution_state: ExecutionState {
            operations: l.delta(),
            next_marker: None,
        },
    };
    let mut answer = serde_json::to_value(answer).unwrap_or_default();
    events::rest_times(&mut answer);
    if let Some(client) = &req.client_token {
        l.exec.last_checkpoint =
            Some((client.clone(), req.checkpoint_token.clone(), answer.clone()));
    }
    Ok(answer)
}

/// A page of state for the invocation in flight (`GetDurableExecutionState`).
pub fn state(l: &Loaded, token: &str, marker: Option<&str>, max: usize) -> Result<Value, String> {
    check_token(l, token, false)?;
    let from = match marker.filter(|m| !m.is_empty()) {
        None => 0,
        Some(m) => m.parse().map_err(|_| format!("Invalid marker {m}"))?,
    };
    let mut page = serde_json::to_value(l.page(from, max)).unwrap_or_default();
    events::rest_times(&mut page);
    Ok(page)
}

/// Judges the end of invocation `request_id`: `InvocationCompleted`, then the execution ends
/// (a SUCCEEDED or FAILED answer), stays suspended (PENDING), or the invocation is retried
/// after a Lambda-level failure (failing the execution after [`MAX_FAILED_INVOCATIONS`]).
pub fn finish(l: &mut Loaded, request_id: &str, ended: Ended, now: i64) {
    if l.exec.invocation.as_deref() != Some(request_id) {
        return; // stopped or timed out meanwhile: its answer changes nothing
    }
    l.exec.invocation = None;
    let mut details = json!({"StartTimestamp": l.exec.invocation_start_ms,
        "EndTimestamp": now, "RequestId": request_id});
    let answer = match ended {
        Ended::Answered(body) => serde_json::from_slice::<InvocationOutput>(&body).map_err(|e| {
            ErrorObject::new(
                "Runtime.InvalidResponse",
                format!(
                    "the durable handler's answer is not an invocation output ({e}): {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ),
            )
        }),
        Ended::Failed(error) => Err(error),
    };
    if let Err(error) = &answer {
        details["Error"] = events::error(error);
    }
    l.append(event("InvocationCompleted", None, details), now);
    match answer {
        Ok(out) => {
            l.exec.failed_invocations = 0;
            match out.status {
                InvocationStatus::Succeeded => {
                    if let Some(r) = out.result.filter(|r| !r.is_empty()) {
                        l.exec.result = Some(r);
                    }
                    l.close(ExecutionStatus::Succeeded, now);
                }
                InvocationStatus::Failed => {
                    if out.error.is_some() || l.exec.error.is_none() {
                        l.exec.error = Some(out.error.unwrap_or_else(|| {
                            ErrorObject::new("Error", "the durable handler failed without an error")
                        }));
                    }
                    l.close(ExecutionStatus::Failed, now);
                }
                InvocationStatus::Pending => {
                    apply_deferred(l, now);
                    // A retry that fell due during the invocation (READY) has nothing left to
                    // wake it: its attempt runs in the next invocation.
                    if l.apply_due(now) || l.has_ready_step() {
                        l.exec.kick = true;
                    }
                    if !l.exec.kick && !l.waits_on_something() {
                        l.exec.error = Some(ErrorObject::new("Runtime.InvalidResponse", "the durable handler answered PENDING while the execution waits on nothing (no wait, retry, callback or chained invoke in progress)"));
                        l.close(ExecutionStatus::Failed, now);
                    }
                }
            }
        }
        Err(error) => {
            l.exec.failed_invocations += 1;
            let n = l.exec.failed_invocations;
            if n >= MAX_FAILED_INVOCATIONS {
                l.exec.error = Some(error);
                l.close(ExecutionStatus::Failed, now);
            } else {
                apply_deferred(l, now);
                l.apply_due(now);
                l.exec.kick = true;
                l.exec.retry_at_ms = Some(now + 1000 * (1 << (n - 1)));
            }
        }
    }
}

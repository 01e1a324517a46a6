//! Chained invokes: an execution invoking another function and suspending until it ends. A
//! durable target becomes an execution of its own, started in the same transaction as the
//! checkpoint that asked for it (so a crash cannot lose it) and linked back to the operation;
//! a plain target is one asynchronous invocation. The operation ends with the target's result
//! or error (`ChainedInvokeSucceeded`, `...Failed`, `...TimedOut`, `...Stopped`), which invokes
//! the waiting execution again.

use std::collections::HashMap;

use crate::durable::arn::ExecutionArn;
use crate::durable::wire::{
    ChainedInvokeDetails, ExecutionStatus, Millis, Operation, OperationStatus, OperationUpdate,
};
use crate::durable::DurableConfig;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::events::{self, event};
pub use super::model::TargetEnded;
use super::model::{Deferred, Exec, Loaded};
use crate::qualifier::{self as versions, Resolved};

/// What a served function is, as a chained invoke's target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its durable settings, when it is durable (a chained invoke starts an execution of it).
    pub durable: Option<DurableConfig>,
    /// Its current version number.
    pub version: u32,
    /// Every qualifier names it, as `$LATEST` (a test's stand-in: `fnkit::testing::durable`).
    pub any_qualifier: bool,
}

/// The served functions by name, and the ARNs' region and account.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// The functions, by name.
    pub functions: HashMap<String, Target>,
    /// The region in ARNs.
    pub region: String,
    /// The account in ARNs.
    pub account: String,
}

/// A running chained invoke's target, kept with its operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Chained {
    /// The target function.
    pub function: String,
    /// `$LATEST` or the version number it runs.
    pub version: String,
    /// The target's execution, when the target is durable.
    pub child: Option<String>,
    /// The input, JSON text.
    pub payload: String,
}

/// Starts chained invoke `u` at `now`: the operation, its event, and (for a durable target)
/// the target's execution, which the transaction saves with it.
pub fn start(
    l: &mut Loaded,
    u: &OperationUpdate,
    mut op: Operation,
    now: i64,
    targets: &Targets,
) -> Result<(), String> {
    let options = u.chained_invoke_options.clone().unwrap_or_default();
    let Some(raw) = options.function_name.clone() else {
        return Err("ChainedInvokeOptions.FunctionName is required".into());
    };
    let (name, qualifier) = versions::function_target(&raw);
    let target = targets
        .functions
        .get(&name)
        .ok_or_else(|| format!("the function {raw} is not served"))?;
    // An unqualified target runs as $LATEST.
    let version = match target.any_qualifier {
        true => Resolved::Latest,
        false => versions::resolve(qualifier.as_deref(), target.version)
            .ok_or_else(|| format!("the function {raw} has no version or alias of that name"))?,
    };
    let payload = u.payload.clone().unwrap_or_default();
    let mut details = json!({"FunctionName": raw, "Input": events::payload(&payload),
        "ExecutedVersion": version.executed()});
    if let Some(tenant) = &options.tenant_id {
        details["TenantId"] = json!(tenant);
    }
    let child = target.durable.map(|config| {
        let id = uuid::Uuid::new_v4().to_string();
        let arn = ExecutionArn {
            region: targets.region.clone(),
            account: targets.account.clone(),
            function: name.clone(),
            version: version.executed(),
            name: id.clone(),
            id,
        };
        let mut child = Exec::new(&arn, payload.clone(), config, now);
        child.parent = Some((l.exec.arn.clone(), u.id.clone()));
        child.skip_time = l.exec.skip_time;
        child
    });
    if let Some(child) = &child {
        details["DurableExecutionArn"] = json!(child.arn);
    }
    op.chained_invoke_details = Some(ChainedInvokeDetails::default());
    let e = event("ChainedInvokeStarted", Some(&op), details);
    let op_id = op.id.clone();
    l.put(op);
    if let Some(stored) = l.ops.get_mut(&op_id) {
        stored.chained = Some(Chained {
            function: name,
            version: version.executed(),
            child: child.as_ref().map(|c| c.arn.clone()),
            payload,
        });
    }
    l.spawned.extend(child);
    l.append(e, now);
    Ok(())
}

/// Ends chained invoke `op_id` as its target ended, and marks the execution to be invoked;
/// `false` when that waits (an invocation is in flight: it is told at its next checkpoint or
/// after it ends, never between its last checkpoint and `InvocationCompleted`) or the operation
/// is not running any more.
pub fn complete(l: &mut Loaded, op_id: &str, ended: &TargetEnded, now: i64) -> bool {
    let Some(stored) = l.ops.get(op_id) else {
        return false;
    };
    if stored.op.status != OperationStatus::Started || l.exec.status != ExecutionStatus::Running {
        return false;
    }
    if l.exec.invocation.is_some() {
        l.exec.deferred.push(Deferred::Chained {
            op: op_id.to_owned(),
            ended: ended.clone(),
        });
        return false;
    }
    apply(l, op_id, ended, now);
    true
}

/// Ends running chained invoke `op_id` as its target ended.
pub fn apply(l: &mut Loaded, op_id: &str, ended: &TargetEnded, now: i64) {
    let Some(stored) = l.ops.get(op_id) else {
        return;
    };
    if stored.op.status != OperationStatus::Started {
        return;
    }
    let mut op = stored.op.clone();
    let error = ended.error.clone().unwrap_or_default();
    let (status, kind) = match ended.status {
        ExecutionStatus::Succeeded => (OperationStatus::Succeeded, "ChainedInvokeSucceeded"),
        ExecutionStatus::TimedOut => (OperationStatus::TimedOut, "ChainedInvokeTimedOut"),
        ExecutionStatus::Stopped => (OperationStatus::Stopped, "ChainedInvokeStopped"),
        _ => (OperationStatus::Failed, "ChainedInvokeFailed"),
    };
    let (details, body) = if status == OperationStatus::Succeeded {
        let result = ended.result.clone().unwrap_or_default();
        let body = json!({"Result": events::payload(&result)});
        let details = ChainedInvokeDetails {
            result: Some(result),
            error: None,
        };
        (details, body)
    } else {
        let body = json!({"Error": events::error(&error)});
        let details = ChainedInvokeDetails {
            result: None,
            error: Some(error),
        };
        (details, body)
    };
    op.status = status;
    op.end_timestamp = Some(Millis(now));
    op.chained_invoke_details = Some(details);
    let e = event(kind, Some(&op), body);
    l.put(op);
    l.append(e, now);
    l.exec.kick = true;
}

/// The version a stored `$LATEST` or number resolves to now.
pub fn resolved(version: &str, current: u32) -> Resolved {
    versions::resolve(Some(version), current).unwrap_or_default()
}

/// The chained invoke a closed execution `l` was started by, and how it ended.
pub fn parent_of(l: &Loaded) -> Option<(String, String, TargetEnded)> {
    if l.exec.status == ExecutionStatus::Running {
        return None;
    }
    let (arn, op) = l.exec.parent.clone()?;
    Some((arn, op, TargetEnded::of(&l.exec)))
}

/// What a checkpoint started: the targets' executions to invoke, the plain targets to run.
pub fn started_by(l: &Loaded) -> (Vec<String>, Vec<(String, Chained)>) {
    let children = l.spawned.iter().map(|c| c.arn.clone()).collect();
    let plain = l
        .changed
        .iter()
        .filter_map(|id| l.ops.get(id))
        .filter(|o| o.op.status == OperationStatus::Started)
        .filter_map(|o| Some((o.op.id.clone(), o.chained.clone()?)))
        .filter(|(_, c)| c.child.is_none())
        .collect();
    (children, plain)
}

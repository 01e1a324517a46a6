//! The handler's side of a durable execution: the context its operations go through, replay of
//! what is recorded, and suspension. An operation first looks for its record (by its id, checked
//! against what the code asks for: a different operation there is a non-determinism error); a
//! finished one returns its recorded result without running again; a new one runs and is
//! checkpointed. An operation that has to wait (a wait, a step's next attempt) suspends the
//! handler: its future never completes, and [`execute`](super::execute) answers PENDING so the service invokes
//! the handler again when the wait is over.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fnkit_spec::durable::wire::{
    CheckpointRequest, Operation, OperationAction, OperationStatus, OperationType, OperationUpdate,
    WaitOptions,
};
use tokio::sync::Notify;

use super::client::Client;
use super::ids::{OperationId, OperationIds};
use super::logger::DurableLogger;
use super::plugin::{AttemptEndInfo, AttemptInfo, AttemptOutcome, Host, OperationInfo};
use super::DurableError;
use crate::Error;

/// What every context of one invocation shares.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) arn: String,
    pub(super) client: Client,
    /// The token of the next checkpoint.
    pub(super) token: tokio::sync::Mutex<String>,
    /// The execution's operations by id, as last read.
    pub(super) ops: Mutex<HashMap<String, Operation>>,
    /// This invocation's plugins.
    pub(super) host: Host,
}

/// The handle a durable handler runs its operations through (`step`, `wait`).
///
/// Every operation takes a name: 1 to 256 printable ASCII characters, shown in the execution's
/// history, or `""` for an operation without a name (the SDKs' anonymous operations: no
/// `Name` in its checkpoints and history; a replay checks that the record has none either).
/// The operation's id comes from its place in the code, not its name, so names need not be
/// unique.
///
/// ```no_run
/// # use fnkit::durable::DurableContext;
/// # async fn f(ctx: DurableContext) -> Result<(), fnkit::durable::DurableError> {
/// let named: u32 = ctx.step("count", |_| async { Ok(1) }).await?;
/// let anonymous: u32 = ctx.step("", |_| async { Ok(2) }).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DurableContext {
    shared: Arc<Shared>,
    ids: Arc<Mutex<OperationIds>>,
    pub(super) parent: Option<String>,
    /// Whether this context is still replaying recorded operations (see `is_replaying`).
    replaying: Arc<AtomicBool>,
    /// Told when an operation of this context suspends: the invocation's own for the root and
    /// its children, a branch's own inside `map` and `parallel` (the batch goes on with its other
    /// branches, and suspends itself when none can).
    scope: Arc<Notify>,
}

impl Shared {
    /// One checkpoint of `updates`: the call, then the next token and the changed operations
    /// kept; returns the operations that ended with it.
    async fn send(&self, updates: Vec<OperationUpdate>) -> Result<Vec<Operation>, DurableError> {
        let mut token = self.token.lock().await;
        let request = CheckpointRequest {
            checkpoint_token: token.clone(),
            updates,
            client_token: Some(uuid::Uuid::new_v4().to_string()),
        };
        let answer = self.client.checkpoint(&self.arn, &request).await?;
        if let Some(next) = answer.checkpoint_token {
            *token = next;
        }
        let mut ended = Vec::new();
        let mut ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        for op in answer.new_execution_state.operations {
            let was = ops.get(&op.id).map(|o| o.status);
            if op.status.is_terminal() && !was.is_some_and(OperationStatus::is_terminal) {
                ended.push(op.clone());
            }
            ops.insert(op.id.clone(), op);
        }
        Ok(ended)
    }
}

/// Checks an operation's name: 1 to 256 printable ASCII characters, or `""` for none.
pub(super) fn check_name(name: &str) -> Result<(), DurableError> {
    if name.is_empty() || fnkit_spec::durable::is_operation_name(name) {
        return Ok(());
    }
    Err(DurableError::Invalid(format!(
        "the operation name {name:?} is not 1 to 256 printable ASCII characters"
    )))
}

/// An attempt whose body has not ended: dropped so, it ends `Incomplete` (the invocation
/// suspended), or `Failed` (the body panicked).
struct Unfinished<'a> {
    host: &'a Host,
    info: Option<&'a AttemptInfo<'a>>,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if let Some(info) = self.info {
            // Dropped by a panic in the body: it failed; else the invocation left it.
            let outcome = match std::thread::panicking() {
                true => AttemptOutcome::Failed,
                false => AttemptOutcome::Incomplete,
            };
            self.host.attempt_ended(&AttemptEndInfo {
                attempt: info,
                outcome,
                error: None,
            });
        }
    }
}

/// An operation at its place in the code: what its record must match, and what every update
/// it sends repeats (its id, type, sub-type and name; no `Name` on the wire for `""`).
#[derive(Debug)]
pub(super) struct Op<'a> {
    pub(super) id: OperationId,
    kind: OperationType,
    sub_type: &'a str,
    name: &'a str,
}

impl Op<'_> {
    /// An update of this operation doing `action`, with nothing else set.
    pub(super) fn update(&self, action: OperationAction) -> OperationUpdate {
        OperationUpdate {
            id: self.id.wire.clone(),
            parent_id: None,
            name: (!self.name.is_empty()).then(|| self.name.to_owned()),
            kind: self.kind,
            action,
            sub_type: Some(self.sub_type.to_owned()),
            payload: None,
            error: None,
            context_options: None,
            step_options: None,
            wait_options: None,
            callback_options: None,
            chained_invoke_options: None,
        }
    }
}

impl DurableContext {
    /// The root context of an invocation: the handler's own, its suspensions told to `scope`.
    pub(super) fn root(shared: Arc<Shared>, scope: Arc<Notify>) -> DurableContext {
        DurableContext {
            shared,
            ids: Arc::new(Mutex::new(OperationIds::root())),
            parent: None,
            // Until the first operation without a record (is_replaying looks ahead).
            replaying: Arc::new(AtomicBool::new(true)),
            scope,
        }
    }

    /// The next operation of this context, `kind`/`sub_type` named `name`, with its record
    /// (checked to be the same operation).
    pub(super) fn begin<'a>(
        &self,
        kind: OperationType,
        sub_type: &'a str,
        name: &'a str,
    ) -> Result<(Op<'a>, Option<Operation>), DurableError> {
        self.begin_at(self.next(), kind, sub_type, name)
    }

    /// [`DurableContext::begin`] at `id`, which the caller chose (a batch's branch: from its
    /// index).
    pub(super) fn begin_at<'a>(
        &self,
        id: OperationId,
        kind: OperationType,
        sub_type: &'a str,
        name: &'a str,
    ) -> Result<(Op<'a>, Option<Operation>), DurableError> {
        let record = self.record(&id, kind, sub_type, name)?;
        let op = Op {
            id,
            kind,
            sub_type,
            name,
        };
        Ok((op, record))
    }

    pub(super) fn next(&self) -> OperationId {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).next_id()
    }

    /// The id of this context's `n`-th operation (from 1), the counter untouched.
    pub(super) fn id_at(&self, n: u64) -> OperationId {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).at(n)
    }

    /// The record of `id`, checked against the operation the code asks for there.
    pub(super) fn record(
        &self,
        id: &OperationId,
        kind: OperationType,
        sub_type: &str,
        name: &str,
    ) -> Result<Option<Operation>, DurableError> {
        check_name(name)?;
        let ops = self.shared.ops.lock().unwrap_or_else(|e| e.into_inner());
        let Some(op) = ops.get(&id.wire).cloned() else {
            // New code from here on: not a replay any more.
            self.replaying.store(false, Ordering::Relaxed);
            drop(ops);
            self.announce(id, kind, sub_type, name, None);
            return Ok(None);
        };
        drop(ops);
        if kind == OperationType::Step && !op.status.is_terminal() {
            // A step about to run its body again does real work: not a replay either.
            self.replaying.store(false, Ordering::Relaxed);
        }
        let same = op.kind == kind
            && op.sub_type.as_deref() == Some(sub_type)
            && op.name.as_deref().unwrap_or_default() == name
            && op.parent_id == self.parent;
        if same {
            if !op.status.is_terminal() {
                self.announce(id, kind, sub_type, name, Some(op.status));
            } else {
                // Ended while the handler was away (a wait, a callback), or before the code got
                // here: first heard of now.
                self.shared.host.reached_ended(&op);
            }
            Ok(Some(op))
        } else {
            Err(DurableError::NonDeterministic {
                position: id.path.clone(),
                recorded: format!("{} {:?} named {:?}", op.kind, op.sub_type, op.name),
                asked: format!("{kind} {sub_type:?} named {name:?}"),
            })
        }
    }

    /// Tells the plugins operation `id` starts (`recorded`: the status of its record, made by
    /// an earlier invocation).
    fn announce(
        &self,
        id: &OperationId,
        kind: OperationType,
        sub_type: &str,
        name: &str,
        recorded: Option<OperationStatus>,
    ) {
        if self.shared.host.is_empty() {
            return;
        }
        let asked = OperationInfo::asked(&id.wire, kind, sub_type, name, self.parent.as_deref());
        self.shared.host.operation_started(&OperationInfo {
            // A step whose next attempt is due starts it: STARTED, as its START will say.
            status: match recorded {
                None | Some(OperationStatus::Ready) => OperationStatus::Started,
                Some(status) => status,
            },
            is_replayed: recorded.is_some(),
            ..asked
        });
    }

    /// Runs an operation's `body` (a step's attempt, a condition's check, a child context's
    /// body), telling the plugins it starts and how it ends; a body dropped before it ends (the
    /// invocation suspended) ends `Incomplete`.
    pub(super) async fn attempt<T>(
        &self,
        op: &Op<'_>,
        attempt: Option<u32>,
        is_replay_children: bool,
        body: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let host = &self.shared.host;
        if host.is_empty() {
            return body.await;
        }
        let parent = self.parent.as_deref();
        let asked = OperationInfo::asked(&op.id.wire, op.kind, op.sub_type, op.name, parent);
        let info = AttemptInfo {
            operation: OperationInfo { attempt, ..asked },
            attempt,
            is_replay_children,
        };
        host.attempt_started(&info);
        let mut unfinished = Unfinished {
            host,
            info: Some(&info),
        };
        let out = body.await;
        unfinished.info = None;
        let error = out.as_ref().err().map(super::error_object);
        let outcome = match &out {
            Ok(_) => AttemptOutcome::Succeeded,
            Err(_) => AttemptOutcome::Failed,
        };
        host.attempt_ended(&AttemptEndInfo {
            attempt: &info,
            outcome,
            error: error.as_ref(),
        });
        out
    }

    /// The status of `id` as last read.
    pub(super) fn status(&self, id: &OperationId) -> Option<OperationStatus> {
        let ops = self.shared.ops.lock().unwrap_or_else(|e| e.into_inner());
        ops.get(&id.wire).map(|op| op.status)
    }

    /// Sends `updates` and reads back what changed. The call and what it changes (the next
    /// token, the operations) run as a task of their own, so a caller dropped mid-call (a branch
    /// of a batch that stopped early) cannot leave the token behind the service's: a checkpoint
    /// that landed is always read back.
    pub(super) async fn checkpoint(
        &self,
        mut updates: Vec<OperationUpdate>,
    ) -> Result<(), DurableError> {
        for u in &mut updates {
            u.parent_id = self.parent.clone();
        }
        let shared = self.shared.clone();
        let ended = tokio::spawn(async move { shared.send(updates).await })
            .await
            .map_err(|e| DurableError::Service(format!("the checkpoint did not finish: {e}")))??;
        for op in &ended {
            self.shared.host.operation_ended(op);
        }
        Ok(())
    }

    /// Suspends the handler: the invocation answers PENDING and this future never completes.
    pub(super) async fn suspend<T>(&self) -> T {
        self.scope.notify_one();
        std::future::pending().await
    }

    /// The context of the operations inside operation `id` (a child context): replaying if
    /// this one still is once `id`'s record was read.
    pub(super) fn child(&self, id: &OperationId) -> DurableContext {
        let replaying = self.replaying.load(Ordering::Relaxed);
        DurableContext {
            shared: self.shared.clone(),
            ids: Arc::new(Mutex::new(OperationIds::child(id))),
            parent: Some(id.wire.clone()),
            replaying: Arc::new(AtomicBool::new(replaying)),
            scope: self.scope.clone(),
        }
    }

    /// A virtual context at `id` (a batch's branch with FLAT nesting): its operations' ids are
    /// under `id`, but `id` itself is never recorded, and they are this context's children.
    pub(super) fn virtual_child(&self, id: &OperationId) -> DurableContext {
        DurableContext {
            parent: self.parent.clone(),
            ..self.child(id)
        }
    }

    /// The same context, its suspensions told to `scope` (a branch of a batch).
    pub(super) fn in_scope(mut self, scope: Arc<Notify>) -> DurableContext {
        self.scope = scope;
        self
    }

    /// Whether this context is replaying: running again code whose operations it recorded in
    /// an earlier invocation. It is from the start of an invocation that has records until
    /// the code reaches an operation with none (or a step that runs its body again), or until
    /// the next operation has none; after that, never again in this invocation. A child
    /// context starts as its parent is. [`DurableLogger`] leaves out lines written while it is.
    pub fn is_replaying(&self) -> bool {
        if !self.replaying.load(Ordering::Relaxed) {
            return false;
        }
        let next = self.ids.lock().unwrap_or_else(|e| e.into_inner()).peek();
        let ops = self.shared.ops.lock().unwrap_or_else(|e| e.into_inner());
        if ops.contains_key(&next.wire) {
            return true;
        }
        self.replaying.store(false, Ordering::Relaxed);
        false
    }

    /// A logger for this context's code (a handler's, or a child context's body): it leaves out
    /// lines written while the context [is replaying](DurableContext::is_replaying).
    pub fn logger(&self) -> DurableLogger {
        DurableLogger::new(self.clone(), None)
    }

    /// Whether the service is in this process (`fnkit::testing::durable`).
    pub(super) fn in_process(&self) -> bool {
        matches!(self.shared.client, Client::InProcess(_))
    }

    /// The execution's ARN.
    pub(super) fn arn(&self) -> &str {
        &self.shared.arn
    }

    /// The recorded operation `id`.
    pub(super) fn operation(&self, id: &OperationId) -> Option<Operation> {
        let ops = self.shared.ops.lock().unwrap_or_else(|e| e.into_inner());
        ops.get(&id.wire).cloned()
    }

    /// Waits `duration` (whole seconds, at least 1) as the operation `name`: the invocation
    /// ends, and the service invokes the handler again when the time is up.
    pub async fn wait(&self, name: &str, duration: Duration) -> Result<(), DurableError> {
        let (op, record) = self.begin(OperationType::Wait, "Wait", name)?;
        match record.map(|op| op.status) {
            Some(OperationStatus::Succeeded) => return Ok(()),
            Some(_) => return self.suspend().await,
            None => {}
        }
        let seconds = duration.as_secs_f64().ceil().max(1.0) as u64;
        let start = OperationUpdate {
            wait_options: Some(WaitOptions {
                wait_seconds: Some(seconds),
            }),
            ..op.update(OperationAction::Start)
        };
        self.checkpoint(vec![start]).await?;
        if self.status(&op.id) == Some(OperationStatus::Succeeded) {
            return Ok(());
        }
        self.suspend().await
    }
}

#[cfg(test)]
impl DurableContext {
    /// The root context of an invocation whose state is `ops`, for tests that never reach the
    /// service.
    pub(super) fn over(arn: &str, ops: Vec<Operation>) -> DurableContext {
        let shared = Shared {
            arn: arn.to_owned(),
            client: Client::unused(),
            token: tokio::sync::Mutex::new(String::new()),
            ops: Mutex::new(ops.into_iter().map(|op| (op.id.clone(), op)).collect()),
            host: Host::default(),
        };
        DurableContext {
            shared: Arc::new(shared),
            ids: Arc::new(Mutex::new(OperationIds::root())),
            parent: None,
            replaying: Arc::new(AtomicBool::new(true)),
            scope: Arc::new(Notify::new()),
        }
    }
}

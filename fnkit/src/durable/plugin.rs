//! Plugins: code told of an invocation's life as the handler runs (its start and end, each
//! operation's start and end, each attempt of a step's or a child context's body), for tracing,
//! metrics or audit. A [`PluginFactory`] builds one [`DurablePlugin`] per invocation, so an
//! instance holds that invocation's state and nothing leaks between warm invocations. Hooks run
//! in registration order, on the handler's task, with no lock held; a hook that panics is
//! reported on stderr and ignored, and the handler's outcome stays what it was. When hooks fire
//! follows AWS's Python SDK (`plugin.py`): a result replayed from an earlier invocation's record
//! fires nothing again; an operation that ended between invocations (a wait, a callback) gets its
//! end hook in the first invocation that reaches it.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use fnkit_spec::durable::wire::{
    ErrorObject, Operation, OperationStatus, OperationType, StepDetails,
};
use serde_json::Value;

/// One invocation's plugin. Every hook does nothing unless implemented; `&self`, as hooks of
/// concurrent branches (`map`, `parallel`) interleave on one task.
///
/// ```
/// use fnkit::durable::plugin::{DurablePlugin, InvocationEndInfo, InvocationInfo, Plugins};
///
/// /// Prints one line per invocation: its execution and how it ended.
/// struct Audit {
///     arn: String,
/// }
///
/// impl DurablePlugin for Audit {
///     fn on_invocation_end(&self, end: &InvocationEndInfo<'_>) {
///         println!("{} {}", self.arn, end.outcome.as_str());
///     }
/// }
///
/// let plugins = Plugins::default().with(|info: &InvocationInfo<'_>| Audit {
///     arn: info.execution_arn.to_owned(),
/// });
/// ```
pub trait DurablePlugin: Send + Sync {
    /// The invocation starts: its state is read, the handler has not run.
    fn on_invocation_start(&self, _info: &InvocationInfo<'_>) {}
    /// The invocation ends: its outcome is decided, every other hook has run.
    fn on_invocation_end(&self, _info: &InvocationEndInfo<'_>) {}
    /// An operation starts (before its START is checkpointed and before its body runs), or a
    /// replay reaches an operation recorded as not yet ended; once per operation per invocation.
    fn on_operation_start(&self, _info: &OperationInfo<'_>) {}
    /// An operation ends (succeeded, failed, timed out, cancelled, stopped), before its result
    /// returns to the code that ran it; once per operation per invocation.
    fn on_operation_end(&self, _info: &OperationInfo<'_>) {}
    /// A step's body (an attempt), a condition's check, or a child context's body is about to
    /// run.
    fn on_attempt_start(&self, _info: &AttemptInfo<'_>) {}
    /// That body has returned, before what it returned is checkpointed.
    fn on_attempt_end(&self, _info: &AttemptEndInfo<'_>) {}
}

/// Builds an invocation's [`DurablePlugin`] (none: not this invocation). A closure from
/// [`InvocationInfo`] to a plugin is one.
pub trait PluginFactory: Send + Sync {
    /// This invocation's plugin, if any.
    fn create(&self, info: &InvocationInfo<'_>) -> Option<Box<dyn DurablePlugin>>;
}

impl<F, P> PluginFactory for F
where
    F: Fn(&InvocationInfo<'_>) -> P + Send + Sync,
    P: DurablePlugin + 'static,
{
    fn create(&self, info: &InvocationInfo<'_>) -> Option<Box<dyn DurablePlugin>> {
        Some(Box::new(self(info)))
    }
}

/// The plugin factories of a handler, in the order their hooks run.
#[derive(Clone, Default)]
pub struct Plugins(Vec<Arc<dyn PluginFactory>>);

impl Plugins {
    /// The same, and then the plugin `make` builds for each invocation.
    pub fn with<F, P>(self, make: F) -> Plugins
    where
        F: Fn(&InvocationInfo<'_>) -> P + Send + Sync + 'static,
        P: DurablePlugin + 'static,
    {
        self.with_factory(make)
    }

    /// The same, and then `factory`'s plugin (a factory of your own: one that builds none for
    /// some invocations, say).
    pub fn with_factory(mut self, factory: impl PluginFactory + 'static) -> Plugins {
        self.0.push(Arc::new(factory));
        self
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plugins({})", self.0.len())
    }
}

/// An invocation as it starts.
#[derive(Debug)]
#[non_exhaustive]
pub struct InvocationInfo<'a> {
    /// The execution's ARN.
    pub execution_arn: &'a str,
    /// Whether this is the execution's first invocation (nothing recorded but the execution).
    pub is_first_invocation: bool,
    /// The execution's input.
    pub input: &'a Value,
    /// The execution's operations as recorded, by id.
    pub operations: &'a HashMap<String, Operation>,
    /// The operations that changed since the last invocation (a wait that ended, a callback
    /// completed).
    pub updated_operation_ids: &'a [String],
}

/// How an invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvocationOutcome {
    /// The execution succeeded.
    Succeeded,
    /// The execution failed.
    Failed,
    /// The execution waits: another invocation will go on.
    Pending,
    /// The invocation itself failed (the service unreachable, a panic): the platform invokes it
    /// again.
    Retry,
}

impl InvocationOutcome {
    /// `SUCCEEDED`, `FAILED`, `PENDING` or `RETRY`.
    pub fn as_str(self) -> &'static str {
        match self {
            InvocationOutcome::Succeeded => "SUCCEEDED",
            InvocationOutcome::Failed => "FAILED",
            InvocationOutcome::Pending => "PENDING",
            InvocationOutcome::Retry => "RETRY",
        }
    }
}

/// An invocation as it ends.
#[derive(Debug)]
#[non_exhaustive]
pub struct InvocationEndInfo<'a> {
    /// The execution's ARN.
    pub execution_arn: &'a str,
    /// How it ended.
    pub outcome: InvocationOutcome,
    /// The execution's result (JSON), when it succeeded.
    pub result: Option<&'a str>,
    /// The execution's error, when it failed.
    pub error: Option<&'a ErrorObject>,
}

/// An operation, as it starts or ends.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OperationInfo<'a> {
    /// Its id (as in the execution's history).
    pub id: &'a str,
    /// Its type.
    pub kind: OperationType,
    /// Its sub-type (`Step`, `Wait`, `Map`, `MapIteration`, ...).
    pub sub_type: Option<&'a str>,
    /// Its name, if any.
    pub name: Option<&'a str>,
    /// The id of the child context it is in, if any.
    pub parent_id: Option<&'a str>,
    /// Its status.
    pub status: OperationStatus,
    /// Whether it was recorded before this invocation (an end is always `false`, as in AWS's
    /// Python SDK).
    pub is_replayed: bool,
    /// A step's `Attempt` as recorded.
    pub attempt: Option<u32>,
    /// Its result as checkpointed, when it succeeded.
    pub result: Option<&'a str>,
    /// Its error, when it failed.
    pub error: Option<&'a ErrorObject>,
}

impl<'a> OperationInfo<'a> {
    /// Operation `id` as the code asks for it (`kind`, `sub_type`, named `name`, `""` for none,
    /// in the child context `parent_id`): started, nothing recorded of it.
    pub(super) fn asked(
        id: &'a str,
        kind: OperationType,
        sub_type: &'a str,
        name: &'a str,
        parent_id: Option<&'a str>,
    ) -> OperationInfo<'a> {
        OperationInfo {
            id,
            kind,
            sub_type: Some(sub_type),
            name: (!name.is_empty()).then_some(name),
            parent_id,
            status: OperationStatus::Started,
            is_replayed: false,
            attempt: None,
            result: None,
            error: None,
        }
    }

    /// The recorded operation `op`.
    pub(super) fn of(op: &'a Operation, is_replayed: bool) -> OperationInfo<'a> {
        let step = op.step_details.as_ref();
        let (result, error) = match (step, op.context_details.as_ref()) {
            (Some(s), _) => (s.result.as_deref(), s.error.as_ref()),
            (None, Some(c)) => (c.result.as_deref(), c.error.as_ref()),
            (None, None) => details_of(op),
        };
        OperationInfo {
            id: &op.id,
            kind: op.kind,
            sub_type: op.sub_type.as_deref(),
            name: op.name.as_deref(),
            parent_id: op.parent_id.as_deref(),
            status: op.status,
            is_replayed,
            attempt: step.and_then(|s: &StepDetails| s.attempt),
            result,
            error,
        }
    }
}

/// The result and error of an operation that is neither a step nor a context.
fn details_of(op: &Operation) -> (Option<&str>, Option<&ErrorObject>) {
    if let Some(d) = &op.callback_details {
        return (d.result.as_deref(), d.error.as_ref());
    }
    if let Some(d) = &op.chained_invoke_details {
        return (d.result.as_deref(), d.error.as_ref());
    }
    (None, None)
}

/// A body about to run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttemptInfo<'a> {
    /// The operation it belongs to.
    pub operation: OperationInfo<'a>,
    /// The attempt (a step's, counted from 1; a child context's first run is 1, a replay none).
    pub attempt: Option<u32>,
    /// Whether the body runs again to rebuild a result too large to checkpoint.
    pub is_replay_children: bool,
}

/// How a body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// It returned a value.
    Succeeded,
    /// It returned an error.
    Failed,
    /// It did not finish in this invocation (it waits, inside a child context).
    Incomplete,
}

impl AttemptOutcome {
    /// `SUCCEEDED`, `FAILED` or `INCOMPLETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Succeeded => "SUCCEEDED",
            AttemptOutcome::Failed => "FAILED",
            AttemptOutcome::Incomplete => "INCOMPLETE",
        }
    }
}

/// A body as it ended.
#[derive(Debug)]
#[non_exhaustive]
pub struct AttemptEndInfo<'a> {
    /// The body, as it started.
    pub attempt: &'a AttemptInfo<'a>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// Its error, when it failed.
    pub error: Option<&'a ErrorObject>,
}

/// One invocation's plugins, and what they were told (none: a test's context).
#[derive(Default)]
pub(super) struct Host {
    plugins: Vec<Box<dyn DurablePlugin>>,
    /// Operations whose start hook ran.
    started: Mutex<HashSet<String>>,
    /// Operations whose end hook ran.
    ended: Mutex<HashSet<String>>,
    /// Operations that changed since the last invocation.
    updated: HashSet<String>,
    /// Operations that ended in this invocation before the code reached them (a callback
    /// completed from outside): heard of when it does.
    unreached: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Host({} plugins)", self.plugins.len())
    }
}

impl Host {
    /// Builds this invocation's plugins from `factories` and tells them it starts.
    pub(super) fn start(factories: &Plugins, info: &InvocationInfo<'_>) -> Host {
        let plugins: Vec<Box<dyn DurablePlugin>> = factories
            .0
            .iter()
            .enumerate()
            .filter_map(|(i, factory)| {
                match catch_unwind(AssertUnwindSafe(|| factory.create(info))) {
                    Ok(plugin) => plugin,
                    Err(_) => {
                        eprintln!("fnkit: plugin factory #{i} panicked; no plugin of it for this invocation");
                        None
                    }
                }
            })
            .collect();
        let updated = match plugins.is_empty() {
            true => HashSet::new(),
            false => info.updated_operation_ids.iter().cloned().collect(),
        };
        let host = Host {
            plugins,
            updated,
            ..Host::default()
        };
        host.each("on_invocation_start", |p| p.on_invocation_start(info));
        host
    }

    /// Whether no plugin listens (the hooks' arguments need not be built).
    pub(super) fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// Calls `hook` on each plugin in order; a panic is reported and ignored.
    fn each(&self, name: &str, hook: impl Fn(&dyn DurablePlugin)) {
        for (i, plugin) in self.plugins.iter().enumerate() {
            if catch_unwind(AssertUnwindSafe(|| hook(plugin.as_ref()))).is_err() {
                eprintln!("fnkit: plugin #{i} panicked in {name}; ignored");
            }
        }
    }

    /// First time only: `id` goes into `set`.
    fn first(set: &Mutex<HashSet<String>>, id: &str) -> bool {
        set.lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned())
    }

    pub(super) fn operation_started(&self, info: &OperationInfo<'_>) {
        if !self.is_empty() && Host::first(&self.started, info.id) {
            self.each("on_operation_start", |p| p.on_operation_start(info));
        }
    }

    /// Operation `op` ended, seen in a checkpoint's answer: heard of now if the code reached it
    /// in this invocation, else when it does.
    pub(super) fn operation_ended(&self, op: &Operation) {
        if self.is_empty() {
            return;
        }
        let reached = self
            .started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&op.id);
        match reached {
            true => self.end(op),
            false => {
                let mut unreached = self.unreached.lock().unwrap_or_else(|e| e.into_inner());
                unreached.insert(op.id.clone());
            }
        }
    }

    /// The code reached operation `op`, recorded as ended: heard of if it ended since the last
    /// invocation or during this one; one that ended in an earlier invocation was heard of then.
    pub(super) fn reached_ended(&self, op: &Operation) {
        if self.is_empty() {
            return;
        }
        let unreached = self
            .unreached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&op.id);
        if unreached || self.updated.contains(&op.id) {
            self.end(op);
        }
    }

    /// Tells the plugins `op` ended, once per invocation.
    fn end(&self, op: &Operation) {
        if Host::first(&self.ended, &op.id) {
            let info = OperationInfo::of(op, false);
            self.each("on_operation_end", |p| p.on_operation_end(&info));
        }
    }

    pub(super) fn attempt_started(&self, info: &AttemptInfo<'_>) {
        self.each("on_attempt_start", |p| p.on_attempt_start(info));
    }

    pub(super) fn attempt_ended(&self, info: &AttemptEndInfo<'_>) {
        self.each("on_attempt_end", |p| p.on_attempt_end(info));
    }

    pub(super) fn invocation_ended(&self, info: &InvocationEndInfo<'_>) {
        self.each("on_invocation_end", |p| p.on_invocation_end(info));
    }
}

//! `parallel` and `map`: branches run as futures of one task (no spawning), each a child context
//! of the batch's operation, at most `max_concurrency` at a time, started in index order, until
//! the completion config says the batch is done. A branch that has to wait suspends only itself:
//! it keeps its slot, the others go on, and the batch suspends the invocation when no branch can
//! run. The result, one item per branch that started, is the batch operation's own. Branch `i`'s
//! id is the batch's operation `i + 1`, from its index, whatever order branches start in; with
//! FLAT nesting that id is never recorded, and only the branch's own operations are.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt as _};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Notify;

use fnkit_spec::durable::wire::{OperationStatus, OperationType};

use super::batch::{BatchItem, BatchResult, ItemStatus};
use super::batch_config::{BatchConfig, MapConfig, Nesting};
use super::context::DurableContext;
use super::ids::{OperationId, OperationIds};
use super::serdes::{self, Serdes};
use super::summary::{replay, Summary};
use super::DurableError;
use crate::Error;

/// A branch's body, boxed.
pub(super) type Body<'a, T> = Box<
    dyn FnOnce(DurableContext) -> Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>
        + Send
        + 'a,
>;

/// One branch of `parallel`: a name (or none) and a body run in a child context of its own.
pub struct Branch<'a, T> {
    name: Option<String>,
    body: Body<'a, T>,
}

impl<T> std::fmt::Debug for Branch<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Branch")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<'a, T> Branch<'a, T> {
    /// A branch named `parallel-branch-<index>`.
    pub fn new<F, Fut>(body: F) -> Self
    where
        F: FnOnce(DurableContext) -> Fut + Send + 'a,
        Fut: Future<Output = Result<T, Error>> + Send + 'a,
    {
        Branch {
            name: None,
            body: Box::new(move |ctx| Box::pin(body(ctx))),
        }
    }

    /// A branch named `name`.
    pub fn named<F, Fut>(name: impl Into<String>, body: F) -> Self
    where
        F: FnOnce(DurableContext) -> Fut + Send + 'a,
        Fut: Future<Output = Result<T, Error>> + Send + 'a,
    {
        Branch {
            name: Some(name.into()),
            ..Branch::new(body)
        }
    }
}

impl DurableContext {
    /// Runs `branches` as the operation `name` (`""`: none), each in a child context of its
    /// own, and returns every started branch's outcome; a failed branch does not fail the
    /// batch ([`BatchResult::throw_if_error`] does, when wanted).
    pub async fn parallel<T>(
        &self,
        name: &str,
        branches: Vec<Branch<'_, T>>,
        config: BatchConfig,
    ) -> Result<BatchResult<T>, DurableError>
    where
        T: Serialize + DeserializeOwned + Send,
    {
        config.check(branches.len())?;
        let mut named: Vec<(String, Body<'_, T>)> = Vec::with_capacity(branches.len());
        for (i, b) in branches.into_iter().enumerate() {
            let name = b.name.unwrap_or_else(|| format!("parallel-branch-{i}"));
            check_name(&name, i)?;
            named.push((name, b.body));
        }
        self.batch(name, "Parallel", "ParallelBranch", named, config)
            .await
    }

    /// Runs `f` on each of `items` (with its index) as the operation `name` (`""`: none), each
    /// in a child context of its own, named `map-item-<index>` unless
    /// [`MapConfig::item_namer`] says otherwise; returns every started item's outcome.
    pub async fn map<I, T, F, Fut>(
        &self,
        name: &str,
        items: Vec<I>,
        config: impl Into<MapConfig<I>>,
        f: F,
    ) -> Result<BatchResult<T>, DurableError>
    where
        I: Send,
        T: Serialize + DeserializeOwned + Send,
        F: Fn(DurableContext, I, usize) -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, Error>> + Send,
    {
        let config = config.into();
        config.batch.check(items.len())?;
        let f = &f;
        let mut named: Vec<(String, Body<'_, T>)> = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let item_name = config.name(&item, i);
            check_name(&item_name, i)?;
            let body: Body<'_, T> = Box::new(move |ctx| Box::pin(f(ctx, item, i)));
            named.push((item_name, body));
        }
        self.batch(name, "Map", "MapIteration", named, config.batch)
            .await
    }

    async fn batch<T>(
        &self,
        name: &str,
        sub_type: &str,
        branch_type: &'static str,
        branches: Vec<(String, Body<'_, T>)>,
        config: BatchConfig,
    ) -> Result<BatchResult<T>, DurableError>
    where
        T: Serialize + DeserializeOwned + Send,
    {
        let (op, record) = self.begin(OperationType::Context, sub_type, name)?;
        // A finished batch whose result was too large: its summary, to rebuild it from.
        let summary = record
            .as_ref()
            .filter(|r| r.status == OperationStatus::Succeeded)
            .and_then(|r| r.context_details.as_ref())
            .filter(|d| d.replay_children == Some(true))
            .and_then(|d| serde_json::from_str::<Summary>(d.result.as_deref()?).ok());
        let serdes = config.serdes.clone();
        let summarize = |r: &BatchResult<T>| serde_json::to_string(&Summary::of(r, sub_type)).ok();
        let body = |ctx| async move {
            let result = match summary {
                Some(summary) => replay(ctx, branches, branch_type, &config, summary).await,
                None => run(ctx, branches, branch_type, &config).await,
            };
            result.map_err(Error::from)
        };
        self.run_child(op, record, serdes.as_deref(), None, &summarize, body)
            .await
    }
}

/// Checks branch `i`'s name before the batch starts: a bad one found later would fail the batch
/// for good after other branches ran.
fn check_name(name: &str, i: usize) -> Result<(), DurableError> {
    super::context::check_name(name).map_err(|e| DurableError::Invalid(format!("branch {i}: {e}")))
}

/// How a branch's future ended: its outcome, or suspended (it waits; it keeps its slot).
type Ended<T> = (usize, Option<Result<T, DurableError>>);

/// The coordinator: admits branches in index order, polls them, stops as the config says.
// long: the batch's loop (admit, suspend, collect), read top to bottom.
async fn run<T>(
    ctx: DurableContext,
    branches: Vec<(String, Body<'_, T>)>,
    branch_type: &'static str,
    config: &BatchConfig,
) -> Result<BatchResult<T>, DurableError>
where
    T: Serialize + DeserializeOwned + Send,
{
    let total = branches.len();
    let completion = config.completion.unwrap_or_default();
    let max = config.max_concurrency.unwrap_or(total.max(1));
    let mut pending: VecDeque<_> = branches.into_iter().enumerate().collect();
    let mut running = FuturesUnordered::new();
    // Admitted in index order: a branch's item is at its index.
    let mut items: Vec<BatchItem<T>> = Vec::new();
    // Branches holding a slot: running, or waiting (suspended; no longer in `running`).
    let (mut succeeded, mut failed, mut in_flight) = (0, 0, 0);
    loop {
        if completion.is_complete(succeeded, failed, total)
            || completion.tolerance_exceeded(failed, total)
        {
            break;
        }
        while in_flight < max {
            let Some((index, (name, body))) = pending.pop_front() else {
                break;
            };
            items.push(BatchItem::started(index));
            let id = ctx.id_at(index as u64 + 1);
            let started = Started {
                index,
                id,
                name,
                branch_type,
            };
            running.push(branch(ctx.clone(), started, body, config));
            in_flight += 1;
        }
        if running.is_empty() {
            // Every branch that holds a slot waits: so does the batch.
            return ctx.suspend().await;
        }
        let Some((index, outcome)) = running.next().await else {
            break;
        };
        let Some(outcome) = outcome else { continue };
        in_flight -= 1;
        let item = &mut items[index];
        item.settle(outcome)?;
        match item.status {
            ItemStatus::Succeeded => succeeded += 1,
            _ => failed += 1,
        }
    }
    Ok(BatchResult {
        all: items,
        completion_reason: completion.reason(succeeded, failed, total),
    })
}

/// A branch as the coordinator admitted it: its index, its id, its name and its sub-type.
pub(super) struct Started {
    pub(super) index: usize,
    pub(super) id: OperationId,
    pub(super) name: String,
    pub(super) branch_type: &'static str,
}

/// Runs one branch until it ends or suspends (it waits: it keeps its slot).
pub(super) async fn branch<T>(
    parent: DurableContext,
    started: Started,
    body: Body<'_, T>,
    config: &BatchConfig,
) -> Ended<T>
where
    T: Serialize + DeserializeOwned + Send,
{
    let scope = Arc::new(Notify::new());
    let serdes = config.item_serdes.as_deref();
    let Started {
        index,
        id,
        name,
        branch_type,
    } = started;
    let outcome = async {
        match config.nesting {
            Nesting::Nested => {
                let (op, record) =
                    parent.begin_at(id, OperationType::Context, branch_type, &name)?;
                if record.is_none() {
                    written_flat(&parent, &op.id)?;
                }
                parent
                    .run_child(op, record, serdes, Some(scope.clone()), &|_| None, body)
                    .await
            }
            Nesting::Flat => flat(&parent, &id, serdes, scope.clone(), body).await,
        }
    };
    tokio::select! {
        biased;
        outcome = outcome => (index, Some(outcome)),
        () = scope.notified() => (index, None),
    }
}

/// Refuses to start nested branch `id` when its first operation is recorded as the batch's own
/// child: the history was written with FLAT nesting (a START now would leave a branch context in
/// it that FLAT code cannot replay).
fn written_flat(parent: &DurableContext, id: &OperationId) -> Result<(), DurableError> {
    let first = OperationIds::child(id).at(1);
    match parent.operation(&first) {
        Some(op) if op.parent_id == parent.parent => Err(DurableError::NonDeterministic {
            position: id.path.clone(),
            recorded: format!(
                "{} {:?} named {:?} with no branch context (FLAT nesting)",
                op.kind, op.sub_type, op.name
            ),
            asked: "a nested branch".into(),
        }),
        _ => Ok(()),
    }
}

/// A branch with FLAT nesting: its body in a virtual context at `id`, nothing recorded of its
/// own; its result read back through `serdes` as a nested branch's would be.
async fn flat<T>(
    parent: &DurableContext,
    id: &OperationId,
    serdes: Option<&dyn Serdes>,
    scope: Arc<Notify>,
    body: Body<'_, T>,
) -> Result<T, DurableError>
where
    T: Serialize + DeserializeOwned,
{
    if let Some(op) = parent.operation(id) {
        // Recorded with nested branches: not what this code would write.
        return Err(DurableError::NonDeterministic {
            position: id.path.clone(),
            recorded: format!("{} {:?} named {:?}", op.kind, op.sub_type, op.name),
            asked: "a branch with FLAT nesting (no operation of its own)".into(),
        });
    }
    match body(parent.virtual_child(id).in_scope(scope)).await {
        Ok(value) => serdes::read(serdes, Some(&serdes::write(serdes, &value)?)),
        Err(e) => Err(DurableError::Child(super::error_object(&e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_the_item_namer_gives_is_checked_before_anything_runs() {
        let ctx = DurableContext::over("arn:aws:lambda:us-east-1:1:function:f/d/e", vec![]);
        // The second item's name is bad; the first, fine, would run first, one at a time.
        let namer = |item: &u8, _: usize| match item {
            1 => "fine".to_owned(),
            n => format!("item\n{n}"),
        };
        let config = MapConfig::from(BatchConfig::default().max_concurrency(1)).item_namer(namer);
        let ran = std::sync::atomic::AtomicBool::new(false);
        let outcome = ctx
            .map("m", vec![1u8, 2], config, |_, n, _| {
                ran.store(true, std::sync::atomic::Ordering::SeqCst);
                async move { Ok(n) }
            })
            .await;
        match outcome {
            Err(DurableError::Invalid(message)) => {
                assert!(message.contains("branch 1"), "{message}")
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "no branch ran"
        );
    }

    #[test]
    fn a_batch_config_names_items_by_index_and_a_namer_by_item() {
        let plain: MapConfig<&str> = BatchConfig::default().into();
        assert_eq!(plain.name(&"x", 3), "map-item-3");
        let named = plain.item_namer(|item, i| format!("{item}-{i}"));
        assert_eq!(named.name(&"x", 3), "x-3");
    }
}

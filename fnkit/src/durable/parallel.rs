//! `parallel` and `map`: branches run as futures of one task (no spawning), each a child context
//! of the batch's operation, at most `max_concurrency` at a time, started in index order, until
//! the completion config says the batch is done. A branch that has to wait suspends only itself:
//! it keeps its slot, the others go on, and the batch suspends the invocation when no branch can
//! run. The result, one item per branch that started, is the batch operation's own.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt as _};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Notify;

use super::batch::{BatchItem, BatchResult, CompletionConfig, ItemStatus};
use super::context::DurableContext;
use super::serdes::Serdes;
use super::DurableError;
use crate::Error;

/// A branch's body, boxed.
type Body<'a, T> = Box<
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

/// How a batch runs.
#[derive(Debug, Clone, Default)]
pub struct BatchConfig {
    /// At most this many branches at a time (all when unset; at least 1).
    pub max_concurrency: Option<usize>,
    /// When the batch stops (`parallel`: at the first failure; `map`: likewise).
    pub completion: Option<CompletionConfig>,
    /// How each branch's result is written into its checkpoint (JSON when unset).
    pub item_serdes: Option<Arc<dyn Serdes>>,
    /// How the whole result is written into the batch's checkpoint (JSON when unset).
    pub serdes: Option<Arc<dyn Serdes>>,
}

impl BatchConfig {
    /// The same, at most `n` branches at a time.
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = Some(n);
        self
    }

    /// The same, stopping as `completion` says.
    pub fn completion(mut self, completion: CompletionConfig) -> Self {
        self.completion = Some(completion);
        self
    }

    /// The same, each branch's result written through `serdes`.
    pub fn item_serdes(mut self, serdes: impl Serdes + 'static) -> Self {
        self.item_serdes = Some(Arc::new(serdes));
        self
    }

    /// The same, the whole result written through `serdes`.
    pub fn serdes(mut self, serdes: impl Serdes + 'static) -> Self {
        self.serdes = Some(Arc::new(serdes));
        self
    }

    fn check(&self, total: usize) -> Result<(), DurableError> {
        if self.max_concurrency == Some(0) {
            return Err(DurableError::Invalid(
                "max_concurrency must be at least 1, got: 0".into(),
            ));
        }
        self.completion.unwrap_or_default().check(total)
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
        let named: Vec<(String, Body<'_, T>)> = branches
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                (
                    b.name.unwrap_or_else(|| format!("parallel-branch-{i}")),
                    b.body,
                )
            })
            .collect();
        self.batch(name, "Parallel", "ParallelBranch", named, config)
            .await
    }

    /// Runs `f` on each of `items` (with its index) as the operation `name` (`""`: none), each
    /// in a child context of its own named `map-item-<index>`; returns every started item's
    /// outcome.
    pub async fn map<I, T, F, Fut>(
        &self,
        name: &str,
        items: Vec<I>,
        config: BatchConfig,
        f: F,
    ) -> Result<BatchResult<T>, DurableError>
    where
        I: Send,
        T: Serialize + DeserializeOwned + Send,
        F: Fn(DurableContext, I, usize) -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, Error>> + Send,
    {
        config.check(items.len())?;
        let f = &f;
        let named: Vec<(String, Body<'_, T>)> = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let body: Body<'_, T> = Box::new(move |ctx| Box::pin(f(ctx, item, i)));
                (format!("map-item-{i}"), body)
            })
            .collect();
        self.batch(name, "Map", "MapIteration", named, config).await
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
        let serdes = config.serdes.clone();
        self.child_context(name, sub_type, serdes.as_deref(), None, |ctx| async move {
            run(ctx, branches, branch_type, &config)
                .await
                .map_err(Error::from)
        })
        .await
    }
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
    let item_serdes = config.item_serdes.clone();
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
            items.push(BatchItem {
                index,
                status: ItemStatus::Started,
                result: None,
                error: None,
            });
            let scope = Arc::new(Notify::new());
            let serdes = item_serdes.clone();
            let parent = ctx.clone();
            running.push(async move {
                let branch = parent.child_context(
                    &name,
                    branch_type,
                    serdes.as_deref(),
                    Some(scope.clone()),
                    body,
                );
                let ended: Ended<T> = tokio::select! {
                    biased;
                    outcome = branch => (index, Some(outcome)),
                    () = scope.notified() => (index, None),
                };
                ended
            });
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
        match outcome {
            Ok(value) => {
                succeeded += 1;
                item.status = ItemStatus::Succeeded;
                item.result = Some(value);
            }
            Err(e @ DurableError::Child(_)) if e.is_fatal() => return Err(e),
            Err(DurableError::Child(error)) => {
                failed += 1;
                item.status = ItemStatus::Failed;
                item.error = Some(error);
            }
            Err(fatal) => return Err(fatal),
        }
    }
    Ok(BatchResult {
        all: items,
        completion_reason: completion.reason(succeeded, failed, total),
    })
}

//! How `map` and `parallel` run: [`BatchConfig`] (concurrency, completion, serialisation,
//! [`Nesting`]) and, for `map`, [`MapConfig`] (a batch's configuration and an item namer).

use std::sync::Arc;

use super::batch::CompletionConfig;
use super::serdes::Serdes;
use super::DurableError;

/// How a batch's branches appear in the execution's history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Nesting {
    /// Each branch is a child context of its own (`ParallelBranch`, `MapIteration`) whose
    /// result is checkpointed: a finished branch does not run again on a replay.
    #[default]
    Nested,
    /// Branches have no context of their own: their operations are the batch's children. Two
    /// checkpoints fewer per branch, but until the batch finishes a branch's body runs again on
    /// every replay (its operations return their records). A history written one way cannot be
    /// replayed the other: that is a non-determinism error. A branch's name (`Branch::named`,
    /// [`MapConfig::item_namer`]) is checked but recorded nowhere, as the branch is not.
    Flat,
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
    /// Whether each branch is a child context of its own (the default) or not.
    pub nesting: Nesting,
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

    /// The same, its branches nested as `nesting` says.
    pub fn nesting(mut self, nesting: Nesting) -> Self {
        self.nesting = nesting;
        self
    }

    pub(super) fn check(&self, total: usize) -> Result<(), DurableError> {
        if self.max_concurrency == Some(0) {
            return Err(DurableError::Invalid(
                "max_concurrency must be at least 1, got: 0".into(),
            ));
        }
        self.completion.unwrap_or_default().check(total)
    }
}

/// Names a `map` iteration from its item and index.
type Namer<I> = Arc<dyn Fn(&I, usize) -> String + Send + Sync>;

/// How `map` runs: a batch's configuration, and how each iteration is named. A [`BatchConfig`]
/// converts into one that names iteration `i` `map-item-<i>`.
///
/// ```no_run
/// # use fnkit::durable::{BatchConfig, DurableContext, MapConfig};
/// # async fn f(ctx: DurableContext) -> Result<(), fnkit::durable::DurableError> {
/// let orders = vec!["A-17".to_owned(), "B-4".to_owned()];
/// let config = MapConfig::from(BatchConfig::default().max_concurrency(4))
///     .item_namer(|order: &String, _| format!("order {order}"));
/// let sent = ctx
///     .map("ship", orders, config, |ctx, order, _| async move {
///         Ok(ctx.step("label", |_| async move { Ok(format!("label for {order}")) }).await?)
///     })
///     .await?;
/// # Ok(()) }
/// ```
pub struct MapConfig<I> {
    /// How the batch runs.
    pub batch: BatchConfig,
    namer: Option<Namer<I>>,
}

impl<I> MapConfig<I> {
    /// The same, iteration `i` over `item` named `namer(&item, i)` (1 to 256 printable ASCII
    /// characters, or `""` for none).
    pub fn item_namer(
        mut self,
        namer: impl Fn(&I, usize) -> String + Send + Sync + 'static,
    ) -> Self {
        self.namer = Some(Arc::new(namer));
        self
    }

    pub(super) fn name(&self, item: &I, index: usize) -> String {
        match &self.namer {
            Some(namer) => namer(item, index),
            None => format!("map-item-{index}"),
        }
    }
}

impl<I> Clone for MapConfig<I> {
    fn clone(&self) -> Self {
        MapConfig {
            batch: self.batch.clone(),
            namer: self.namer.clone(),
        }
    }
}

impl<I> From<BatchConfig> for MapConfig<I> {
    fn from(batch: BatchConfig) -> Self {
        MapConfig { batch, namer: None }
    }
}

impl<I> Default for MapConfig<I> {
    fn default() -> Self {
        BatchConfig::default().into()
    }
}

impl<I> std::fmt::Debug for MapConfig<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapConfig")
            .field("batch", &self.batch)
            .field("item_namer", &self.namer.is_some())
            .finish()
    }
}

//! A batch whose result is too large to checkpoint (over 256 KiB): its SUCCEED carries a
//! summary instead (which branches started, why it stopped), with `ReplayChildren`, and a replay
//! rebuilds the result from the branches' own records without running a finished branch again,
//! as AWS's Python SDK does (`concurrency/models.py`, `executor.py`).

use std::collections::BTreeSet;

use fnkit_spec::durable::wire::OperationStatus;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::batch::{BatchItem, BatchResult, CompletionReason, ItemStatus};
use super::batch_config::{BatchConfig, Nesting};
use super::context::DurableContext;
use super::parallel::{branch, Body, Started};
use super::DurableError;

/// The summary a large batch result is checkpointed as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Summary {
    /// `MapResult` or `ParallelResult`.
    #[serde(rename = "type")]
    kind: String,
    /// The branches that started (they started in index order: the first this many).
    total_count: usize,
    completion_reason: CompletionReason,
    /// The branches that had not ended, or (the smaller set) those that had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    started_indexes: Option<Vec<usize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    completed_indexes: Option<Vec<usize>>,
    started_count: usize,
    success_count: usize,
    failure_count: usize,
    status: String,
}

impl Summary {
    /// The summary of `r`, a batch of `kind` (`Map`, `Parallel`).
    pub(super) fn of<T>(r: &BatchResult<T>, kind: &str) -> Summary {
        let indexes = |started: bool| -> Vec<usize> {
            let on = |i: &&BatchItem<T>| (i.status == ItemStatus::Started) == started;
            r.all.iter().filter(on).map(|i| i.index).collect()
        };
        let (started, completed) = (indexes(true), indexes(false));
        let fewer_started = started.len() <= completed.len();
        Summary {
            kind: format!("{kind}Result"),
            total_count: r.all.len(),
            completion_reason: r.completion_reason,
            started_count: started.len(),
            started_indexes: fewer_started.then_some(started),
            completed_indexes: (!fewer_started).then_some(completed),
            success_count: r.success_count(),
            failure_count: r.failure_count(),
            status: r.status().to_owned(),
        }
    }

    /// The branches that had not ended.
    fn started(&self) -> BTreeSet<usize> {
        match (&self.started_indexes, &self.completed_indexes) {
            (Some(started), _) => started.iter().copied().collect(),
            (None, Some(completed)) => (0..self.total_count)
                .filter(|i| !completed.contains(i))
                .collect(),
            (None, None) => BTreeSet::new(),
        }
    }
}

/// Rebuilds a finished batch's result from `summary` and its branches' records: a branch that
/// had not ended is `STARTED` and does not run; a nested one that ended returns its record; a
/// FLAT one runs its body again over its operations' records. Nothing is checkpointed.
pub(super) async fn replay<T>(
    ctx: DurableContext,
    branches: Vec<(String, Body<'_, T>)>,
    branch_type: &'static str,
    config: &BatchConfig,
    summary: Summary,
) -> Result<BatchResult<T>, DurableError>
where
    T: Serialize + DeserializeOwned + Send,
{
    let started = summary.started();
    let mut all = Vec::new();
    for (index, (name, body)) in branches.into_iter().enumerate().take(summary.total_count) {
        let mut item = BatchItem::started(index);
        if started.contains(&index) {
            all.push(item);
            continue;
        }
        let id = ctx.id_at(index as u64 + 1);
        let ended = ctx.operation(&id).is_some_and(|op| {
            matches!(
                op.status,
                OperationStatus::Succeeded | OperationStatus::Failed
            )
        });
        if config.nesting == Nesting::Nested && !ended {
            return Err(unfinished(&id.path, index));
        }
        let started = Started {
            index,
            id: id.clone(),
            name,
            branch_type,
        };
        match branch(ctx.clone(), started, body, config).await {
            (_, Some(outcome)) => item.settle(outcome)?,
            (_, None) => return Err(unfinished(&id.path, index)),
        }
        all.push(item);
    }
    Ok(BatchResult {
        all,
        completion_reason: summary.completion_reason,
    })
}

/// A branch the summary says ended that has not, on replay: not the history this code wrote.
fn unfinished(position: &str, index: usize) -> DurableError {
    DurableError::NonDeterministic {
        position: position.to_owned(),
        recorded: format!("branch {index} of a finished batch, not ended"),
        asked: "its result, to rebuild the batch's".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(statuses: &[ItemStatus]) -> BatchResult<u8> {
        let all = statuses
            .iter()
            .enumerate()
            .map(|(index, status)| BatchItem {
                status: *status,
                ..BatchItem::started(index)
            })
            .collect();
        BatchResult {
            all,
            completion_reason: CompletionReason::MinSuccessfulReached,
        }
    }

    #[test]
    fn the_summary_names_the_smaller_set_and_reads_back_the_same_started_branches() {
        use ItemStatus::{Started as S, Succeeded as D};
        for statuses in [vec![D, S, D], vec![S, S, D], vec![], vec![D, D, D, D]] {
            let r = result(&statuses);
            let summary = Summary::of(&r, "Map");
            let json = serde_json::to_value(&summary).unwrap();
            assert_eq!(json["type"], "MapResult");
            assert_eq!(json["totalCount"], statuses.len());
            assert_eq!(json["completionReason"], "MIN_SUCCESSFUL_REACHED");
            let fewer_started = summary.started_count * 2 <= statuses.len();
            assert_eq!(
                json.get("startedIndexes").is_some(),
                fewer_started,
                "{json}"
            );
            let back: Summary = serde_json::from_value(json).unwrap();
            let expected: BTreeSet<usize> = (0..statuses.len())
                .filter(|i| statuses[*i] == ItemStatus::Started)
                .collect();
            assert_eq!(back.started(), expected);
        }
    }
}

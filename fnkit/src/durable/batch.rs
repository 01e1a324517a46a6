//! What `map` and `parallel` decide and return, apart from running branches: when a batch stops
//! ([`CompletionConfig`]: at least so many successes, at most so many failures or such a share
//! of them), why it stopped ([`CompletionReason`]), and the [`BatchResult`] with one item per
//! branch that started, in index order. The rules are AWS's Python SDK 3.0.0's
//! (`concurrency/models.py`), which the conformance suites 8 and 9 check; the coordinator that
//! runs the branches builds on them.

use fnkit_spec::durable::wire::ErrorObject;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use super::DurableError;

/// When a batch stops early. With no criterion set it stops at the first failure.
///
/// ```
/// use fnkit::durable::{CompletionConfig, CompletionReason};
///
/// // Tolerate one failure among four branches.
/// let config = CompletionConfig::default().tolerated_failures(1);
/// assert!(!config.tolerance_exceeded(1, 4));
/// assert!(config.tolerance_exceeded(2, 4));
/// assert_eq!(config.reason(3, 1, 4), CompletionReason::AllCompleted);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CompletionConfig {
    /// Stop with success once this many branches succeeded.
    pub min_successful: Option<usize>,
    /// Stop once more than this many branches failed.
    pub tolerated_failure_count: Option<usize>,
    /// Stop once more than this share of all branches (0 to 100) failed.
    pub tolerated_failure_percentage: Option<f64>,
}

impl CompletionConfig {
    /// Every branch must succeed: stop at the first failure (`parallel`'s default).
    pub fn all_successful() -> Self {
        CompletionConfig {
            min_successful: None,
            tolerated_failure_count: Some(0),
            tolerated_failure_percentage: Some(0.0),
        }
    }

    /// Run every branch, whatever fails.
    pub fn all_completed() -> Self {
        CompletionConfig {
            tolerated_failure_percentage: Some(100.0),
            ..CompletionConfig::default()
        }
    }

    /// Stop at the first success.
    pub fn first_successful() -> Self {
        CompletionConfig {
            min_successful: Some(1),
            ..CompletionConfig::default()
        }
    }

    /// The same, stopping with success once `n` branches succeeded.
    pub fn min_successful(mut self, n: usize) -> Self {
        self.min_successful = Some(n);
        self
    }

    /// The same, stopping once more than `n` branches failed.
    pub fn tolerated_failures(mut self, n: usize) -> Self {
        self.tolerated_failure_count = Some(n);
        self
    }

    /// The same, stopping once more than `percent` of all branches failed.
    pub fn tolerated_failure_percentage(mut self, percent: f64) -> Self {
        self.tolerated_failure_percentage = Some(percent);
        self
    }

    /// Checks the settings against a batch of `total` branches, before anything runs.
    pub fn check(&self, total: usize) -> Result<(), DurableError> {
        let invalid = |m: String| Err(DurableError::Invalid(m));
        match self.min_successful {
            Some(0) => return invalid("min_successful must be at least 1".into()),
            Some(m) if m > total => {
                return invalid(format!(
                    "min_successful cannot be greater than total items: {m} > {total}"
                ))
            }
            _ => {}
        }
        match self.tolerated_failure_percentage {
            Some(p) if !(0.0..=100.0).contains(&p) => invalid(format!(
                "tolerated_failure_percentage must be from 0 to 100, got: {p}"
            )),
            _ => Ok(()),
        }
    }

    fn has_criteria(&self) -> bool {
        self.min_successful.is_some()
            || self.tolerated_failure_count.is_some()
            || self.tolerated_failure_percentage.is_some()
    }

    /// Whether `failed` failures among `total` branches are more than the batch tolerates:
    /// any failure without criteria; more than the count, or more than the share of `total`
    /// (strictly: a quarter failed under a 25% tolerance goes on).
    pub fn tolerance_exceeded(&self, failed: usize, total: usize) -> bool {
        if !self.has_criteria() {
            return failed > 0;
        }
        let over_count = self.tolerated_failure_count.is_some_and(|n| failed > n);
        let over_share = self
            .tolerated_failure_percentage
            .is_some_and(|p| total > 0 && failed as f64 / total as f64 * 100.0 > p);
        over_count || over_share
    }

    /// Whether the batch is done after `succeeded` and `failed` of `total` branches ended.
    pub fn is_complete(&self, succeeded: usize, failed: usize, total: usize) -> bool {
        succeeded + failed >= total || self.min_successful.is_some_and(|m| succeeded >= m)
    }

    /// Why a batch that stopped after `succeeded` and `failed` of `total` branches stopped.
    pub fn reason(&self, succeeded: usize, failed: usize, total: usize) -> CompletionReason {
        if self.tolerance_exceeded(failed, total) {
            CompletionReason::FailureToleranceExceeded
        } else if succeeded + failed >= total {
            CompletionReason::AllCompleted
        } else if self.min_successful.is_some_and(|m| succeeded >= m) {
            CompletionReason::MinSuccessfulReached
        } else {
            CompletionReason::AllCompleted
        }
    }
}

/// Why a batch stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompletionReason {
    /// Every branch ended (or every branch that had to).
    AllCompleted,
    /// Enough branches succeeded.
    MinSuccessfulReached,
    /// More branches failed than the batch tolerates.
    FailureToleranceExceeded,
}

/// How a branch of a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemStatus {
    /// It returned its result.
    Succeeded,
    /// It failed.
    Failed,
    /// It started but had not ended when the batch stopped.
    Started,
}

/// One branch of a batch that started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct BatchItem<T> {
    /// Its place among the branches (or the items), from 0.
    pub index: usize,
    /// How it ended.
    pub status: ItemStatus,
    /// Its result, when it succeeded (`Some(null)` for a branch that returned JSON `null`).
    #[serde(default = "none", deserialize_with = "present")]
    pub result: Option<T>,
    /// Its error, when it failed.
    #[serde(default)]
    pub error: Option<ErrorObject>,
}

impl<T> BatchItem<T> {
    /// Branch `index`, started and not ended.
    pub(super) fn started(index: usize) -> BatchItem<T> {
        BatchItem {
            index,
            status: ItemStatus::Started,
            result: None,
            error: None,
        }
    }

    /// Records how the branch ended: its result, or its error. An error that is the
    /// invocation's own (fatal: the service, a diverged replay) fails the batch instead.
    pub(super) fn settle(&mut self, outcome: Result<T, DurableError>) -> Result<(), DurableError> {
        match outcome {
            Ok(value) => {
                self.status = ItemStatus::Succeeded;
                self.result = Some(value);
            }
            Err(e) if e.is_fatal() => return Err(e),
            Err(DurableError::Child(error)) => {
                self.status = ItemStatus::Failed;
                self.error = Some(error);
            }
            Err(other) => return Err(other),
        }
        Ok(())
    }
}

fn none<T>() -> Option<T> {
    None
}

/// A result that is there is `Some`, even when it is `null` and `T` reads `null` (`()`,
/// `Option<_>`, `Value`); a `null` that `T` cannot read is no result (a failed item's).
fn present<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    let null = value.is_null();
    match T::deserialize(value) {
        Ok(t) => Ok(Some(t)),
        Err(_) if null => Ok(None),
        Err(e) => Err(serde::de::Error::custom(e)),
    }
}

/// What `map` and `parallel` return: every branch that started, in index order, and why the
/// batch stopped. A failed branch does not fail the batch; [`BatchResult::throw_if_error`] turns
/// the first failure into an error when that is what the handler wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: DeserializeOwned"))]
pub struct BatchResult<T> {
    /// The branches that started.
    pub all: Vec<BatchItem<T>>,
    /// Why the batch stopped.
    pub completion_reason: CompletionReason,
}

impl<T> BatchResult<T> {
    /// The results of the branches that succeeded, in index order.
    pub fn results(&self) -> Vec<&T> {
        let succeeded = self
            .all
            .iter()
            .filter(|i| i.status == ItemStatus::Succeeded);
        succeeded.filter_map(|i| i.result.as_ref()).collect()
    }

    /// The results of the branches that succeeded, in index order, taken out.
    pub fn into_results(self) -> Vec<T> {
        let succeeded = self
            .all
            .into_iter()
            .filter(|i| i.status == ItemStatus::Succeeded);
        succeeded.filter_map(|i| i.result).collect()
    }

    /// The errors of the branches that failed, in index order.
    pub fn errors(&self) -> Vec<&ErrorObject> {
        self.all.iter().filter_map(|i| i.error.as_ref()).collect()
    }

    fn count(&self, status: ItemStatus) -> usize {
        self.all.iter().filter(|i| i.status == status).count()
    }

    /// How many branches succeeded.
    pub fn success_count(&self) -> usize {
        self.count(ItemStatus::Succeeded)
    }

    /// How many branches failed.
    pub fn failure_count(&self) -> usize {
        self.count(ItemStatus::Failed)
    }

    /// How many branches started and had not ended when the batch stopped.
    pub fn started_count(&self) -> usize {
        self.count(ItemStatus::Started)
    }

    /// How many branches started (branches the batch never started are not in it).
    pub fn total_count(&self) -> usize {
        self.all.len()
    }

    /// Whether any branch failed.
    pub fn has_failure(&self) -> bool {
        self.failure_count() > 0
    }

    /// `FAILED` when a branch failed, else `SUCCEEDED`.
    pub fn status(&self) -> &'static str {
        if self.has_failure() {
            "FAILED"
        } else {
            "SUCCEEDED"
        }
    }

    /// The first failed branch's error (keeping its type), or nothing.
    pub fn throw_if_error(&self) -> Result<(), DurableError> {
        match self.all.iter().find(|i| i.status == ItemStatus::Failed) {
            Some(item) => Err(DurableError::Child(item.error.clone().unwrap_or_else(
                || ErrorObject::new("ChildContextError", format!("branch {} failed", item.index)),
            ))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (succeeded, failed) after each branch, the config, the total: where the batch stops and
    /// why, as the coordinator will walk it.
    fn walk(config: CompletionConfig, outcomes: &[bool]) -> (usize, usize, CompletionReason) {
        let total = outcomes.len();
        let (mut s, mut f) = (0, 0);
        for ok in outcomes {
            if config.is_complete(s, f, total) || config.tolerance_exceeded(f, total) {
                break;
            }
            if *ok {
                s += 1
            } else {
                f += 1
            }
        }
        (s, f, config.reason(s, f, total))
    }

    #[test]
    fn batches_stop_where_the_conformance_suite_says() {
        use CompletionReason::*;
        let none = CompletionConfig::default();
        // 8-6 / 9-5: fail-fast stops after the failure; the third never starts.
        let fail_fast = CompletionConfig::all_successful();
        assert_eq!(
            walk(fail_fast, &[true, false, true]),
            (1, 1, FailureToleranceExceeded)
        );
        assert_eq!(
            walk(none, &[true, false, true]),
            (1, 1, FailureToleranceExceeded)
        );
        // 8-8: two successes are enough.
        let two = none.min_successful(2);
        assert_eq!(
            walk(two, &[true, true, true, true]),
            (2, 0, MinSuccessfulReached)
        );
        // 8-9: one failure tolerated, all three run.
        let one = none.tolerated_failures(1);
        assert_eq!(walk(one, &[true, false, true]), (2, 1, AllCompleted));
        // 8-10: the second failure is one too many.
        assert_eq!(
            walk(one, &[false, false, true]),
            (0, 2, FailureToleranceExceeded)
        );
        // 8-13: a quarter is tolerated, half is not.
        let quarter = none.tolerated_failure_percentage(25.0);
        assert_eq!(
            walk(quarter, &[false, false, true, true]),
            (0, 2, FailureToleranceExceeded)
        );
        // 8-22: exactly a quarter goes on (strictly more stops).
        assert_eq!(
            walk(quarter, &[false, true, true, true]),
            (3, 1, AllCompleted)
        );
        // 8-16: three failures tolerated of three.
        let three = none.tolerated_failures(3);
        assert_eq!(walk(three, &[false, false, false]), (0, 3, AllCompleted));
        // 8-17: a minimum alone never stops on failures.
        let min3 = none.min_successful(3);
        assert_eq!(walk(min3, &[true, false, true]), (2, 1, AllCompleted));
        // 8-18: the tolerance is checked before the minimum.
        let both = none.min_successful(3).tolerated_failures(1);
        assert_eq!(
            walk(both, &[false, false, true, true]),
            (0, 2, FailureToleranceExceeded)
        );
        // 8-5: nothing to run.
        assert_eq!(walk(fail_fast, &[]), (0, 0, AllCompleted));
    }

    #[test]
    fn settings_are_checked_before_anything_runs() {
        let c = CompletionConfig::default();
        assert!(c.min_successful(3).check(2).is_err());
        assert!(c.min_successful(0).check(2).is_err());
        assert!(c.tolerated_failure_percentage(101.0).check(2).is_err());
        assert!(c.min_successful(2).check(2).is_ok());
    }

    #[test]
    fn a_result_reads_back_what_it_wrote_failed_items_included() {
        let result = BatchResult {
            all: vec![
                BatchItem {
                    index: 0,
                    status: ItemStatus::Succeeded,
                    result: Some("ok".to_owned()),
                    error: None,
                },
                BatchItem {
                    index: 1,
                    status: ItemStatus::Failed,
                    result: None,
                    error: Some(ErrorObject::new("RuntimeError", "branch failed")),
                },
            ],
            completion_reason: CompletionReason::AllCompleted,
        };
        let text = serde_json::to_string(&result).unwrap();
        assert!(
            text.contains(r#""completionReason":"ALL_COMPLETED""#),
            "{text}"
        );
        assert!(text.contains(r#""status":"FAILED""#), "{text}");
        let back: BatchResult<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, result);
        assert_eq!(
            (
                back.success_count(),
                back.failure_count(),
                back.total_count()
            ),
            (1, 1, 2)
        );
        assert_eq!(back.status(), "FAILED");
        assert_eq!(back.results(), [&"ok".to_owned()]);
        let thrown = crate::Error::from(back.throw_if_error().unwrap_err());
        assert_eq!(thrown.error_type(), "RuntimeError");
        // Items without a result or an error (Python writes them as null or leaves them out).
        let sparse: BatchResult<u32> = serde_json::from_str(
            r#"{"all":[{"index":0,"status":"STARTED"}],"completionReason":"MIN_SUCCESSFUL_REACHED"}"#,
        )
        .unwrap();
        assert_eq!(sparse.started_count(), 1);
        // A branch that returned null succeeded all the same; a failure without an error is
        // still thrown.
        let nulls: BatchResult<serde_json::Value> = serde_json::from_str(
            r#"{"all":[{"index":0,"status":"SUCCEEDED","result":null},{"index":1,"status":"FAILED","result":null}],"completionReason":"ALL_COMPLETED"}"#,
        )
        .unwrap();
        assert_eq!(nulls.results(), [&serde_json::Value::Null]);
        let unit: BatchResult<()> = serde_json::from_str(
            r#"{"all":[{"index":0,"status":"SUCCEEDED","result":null}],"completionReason":"ALL_COMPLETED"}"#,
        )
        .unwrap();
        assert_eq!(unit.into_results(), [()]);
        assert!(nulls.throw_if_error().is_err());
    }
}

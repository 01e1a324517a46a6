//! Storage triggers' rules: which object changes a trigger fires for (the emulator's buckets and
//! the HTTP mode's CloudEvents ask the same question), and which two triggers S3 refuses to have
//! on one bucket, because their notification configurations overlap.

use crate::manifest::{FunctionSpec, StorageEvents, Trigger};

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Created or replaced (`ObjectCreated:*`).
    Created,
    /// Deleted (`ObjectRemoved:*`).
    Deleted,
}

/// Whether `trigger` fires for `change` of the object `key` (the key as written, not
/// URL-encoded), in `bucket` when given: its events, then its prefix and suffix filters, as S3
/// applies them.
///
/// ```
/// use fnkit_spec::manifest::{StorageEvents, Trigger};
/// use fnkit_spec::storage::{fires, Change};
/// let csv = Trigger::Storage {
///     bucket: "uploads".into(),
///     prefix: Some("csv/".into()),
///     suffix: None,
///     events: StorageEvents::Created,
/// };
/// assert!(fires(&csv, Some("uploads"), "csv/a.csv", Change::Created));
/// assert!(!fires(&csv, Some("uploads"), "img/a.png", Change::Created));
/// assert!(!fires(&csv, None, "csv/a.csv", Change::Deleted));
/// ```
pub fn fires(trigger: &Trigger, bucket: Option<&str>, key: &str, change: Change) -> bool {
    let Trigger::Storage {
        bucket: b,
        prefix,
        suffix,
        events,
    } = trigger
    else {
        return false;
    };
    let kind = matches!(
        (events, change),
        (StorageEvents::All, _)
            | (StorageEvents::Created, Change::Created)
            | (StorageEvents::Deleted, Change::Deleted)
    );
    bucket.is_none_or(|bucket| b == bucket)
        && kind
        && prefix.as_deref().is_none_or(|p| key.starts_with(p))
        && suffix.as_deref().is_none_or(|s| key.ends_with(s))
}

/// Two storage functions whose notifications S3 would refuse on one bucket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("functions `{first}` and `{second}` both fire for {events} objects of bucket `{bucket}` whose keys match both their filters; S3 refuses overlapping notification configurations on a bucket (\"Configurations overlap\"), so the deploy would fail: give them prefixes or suffixes that cannot both match one key, or let one function handle both")]
pub struct Overlap {
    /// The bucket.
    pub bucket: String,
    /// One function.
    pub first: String,
    /// The other.
    pub second: String,
    /// The change both fire for (`created`, `deleted`).
    pub events: &'static str,
}

/// Refuses two storage functions on one bucket whose events overlap and whose prefixes overlap
/// and whose suffixes overlap (one starts, or ends, with the other; none is the empty filter,
/// which overlaps everything): S3's rule for notification configurations.
pub fn check_overlaps<'a>(
    specs: impl IntoIterator<Item = &'a FunctionSpec>,
) -> Result<(), Overlap> {
    let storage: Vec<&FunctionSpec> = specs
        .into_iter()
        .filter(|s| matches!(s.trigger, Trigger::Storage { .. }))
        .collect();
    for (i, a) in storage.iter().enumerate() {
        for b in &storage[i + 1..] {
            if let Some(events) = overlap(&a.trigger, &b.trigger) {
                let Trigger::Storage { bucket, .. } = &a.trigger else {
                    continue;
                };
                return Err(Overlap {
                    bucket: bucket.to_string(),
                    first: a.name.to_string(),
                    second: b.name.to_string(),
                    events,
                });
            }
        }
    }
    Ok(())
}

/// The change two triggers both fire for on objects matching both, if they overlap.
fn overlap(a: &Trigger, b: &Trigger) -> Option<&'static str> {
    let (
        Trigger::Storage {
            bucket: bucket_a,
            prefix: prefix_a,
            suffix: suffix_a,
            events: events_a,
        },
        Trigger::Storage {
            bucket: bucket_b,
            prefix: prefix_b,
            suffix: suffix_b,
            events: events_b,
        },
    ) = (a, b)
    else {
        return None;
    };
    let events = match (events_a, events_b) {
        (StorageEvents::Created, StorageEvents::Deleted)
        | (StorageEvents::Deleted, StorageEvents::Created) => return None,
        (StorageEvents::Deleted, _) | (_, StorageEvents::Deleted) => "deleted",
        (StorageEvents::Created, _) | (_, StorageEvents::Created) => "created",
        (StorageEvents::All, StorageEvents::All) => "created and deleted",
    };
    let (pa, pb) = (
        prefix_a.as_deref().unwrap_or(""),
        prefix_b.as_deref().unwrap_or(""),
    );
    let (sa, sb) = (
        suffix_a.as_deref().unwrap_or(""),
        suffix_b.as_deref().unwrap_or(""),
    );
    let prefixes = pa.starts_with(pb) || pb.starts_with(pa);
    let suffixes = sa.ends_with(sb) || sb.ends_with(sa);
    (bucket_a == bucket_b && prefixes && suffixes).then_some(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(
        name: &'static str,
        prefix: Option<&'static str>,
        suffix: Option<&'static str>,
        events: StorageEvents,
    ) -> FunctionSpec {
        let trigger = Trigger::Storage {
            bucket: "uploads".into(),
            prefix: prefix.map(Into::into),
            suffix: suffix.map(Into::into),
            events,
        };
        FunctionSpec::new(name, trigger, 3, 128, None, 2, "src/main.rs", 1, "app")
    }

    #[test]
    fn overlapping_filters_on_one_event_are_refused_as_s3_refuses_them() {
        use StorageEvents::{All, Created, Deleted};
        let refused = [
            // No filter overlaps everything.
            (
                spec("a", None, None, Created),
                spec("b", Some("csv/"), None, Created),
            ),
            // Prefixes where one starts with the other, suffixes where one ends with the other.
            (
                spec("a", Some("csv/"), None, Created),
                spec("b", Some("csv/2026/"), None, Created),
            ),
            (
                spec("a", None, Some("jpg"), Created),
                spec("b", None, Some(".jpg"), All),
            ),
            // Overlapping prefixes, overlapping suffixes (AWS's own invalid example).
            (
                spec("a", Some("images/"), Some("jpg"), Created),
                spec("b", Some("images/"), Some("pg"), Created),
            ),
        ];
        for (a, b) in &refused {
            let e = check_overlaps([a, b]).unwrap_err();
            assert_eq!((e.first.as_str(), e.second.as_str()), ("a", "b"));
            assert!(e.to_string().contains("Configurations overlap"), "{e}");
        }
        let allowed = [
            // Different events, disjoint prefixes, disjoint suffixes (AWS's valid examples).
            (
                spec("a", None, None, Created),
                spec("b", None, None, Deleted),
            ),
            (
                spec("a", Some("images/"), None, Created),
                spec("b", Some("logs/"), None, Created),
            ),
            (
                spec("a", Some("images/"), Some(".jpg"), Created),
                spec("b", Some("images/"), Some(".png"), Created),
            ),
        ];
        for (a, b) in &allowed {
            assert_eq!(
                check_overlaps([a, b]),
                Ok(()),
                "{} / {}",
                a.trigger.kind(),
                b.trigger.kind()
            );
        }
    }
}

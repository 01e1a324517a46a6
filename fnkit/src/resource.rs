//! Resources by the names your attributes give them. A function refers to a bucket, a queue or
//! another function by its logical name (`storage(bucket = "uploads")`); on AWS the deploy
//! template creates it under a generated physical name and passes that name in an environment
//! variable (`FNKIT_BUCKET_UPLOADS`, see [`fnkit_spec::names::resource_variable`]). These helpers
//! give the name to use in an SDK call: the physical one where the deployment set it, the
//! logical one otherwise (under `fnkit-local`, where they are the same).
//!
//! ```
//! // Under the emulator, or in a test: the logical name.
//! assert_eq!(fnkit::resource::bucket("reports"), "reports");
//! ```
//!
//! Events go the other way: a [`StorageEvent`](crate::StorageEvent) names its bucket, and a
//! [`QueueMessage`](crate::QueueMessage) its queue, by the trigger's logical name, so a handler
//! that compares `record.bucket == "uploads"` behaves the same locally and on AWS.

use fnkit_spec::names::{resource_variable, ResourceKind};

use crate::manifest::Trigger;

fn physical(kind: ResourceKind, logical: &str) -> String {
    std::env::var(resource_variable(kind, logical))
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| logical.to_owned())
}

/// The name of bucket `logical` to pass to S3.
pub fn bucket(logical: &str) -> String {
    physical(ResourceKind::Bucket, logical)
}

/// The name of queue `logical` to pass to SQS (`GetQueueUrl`'s `QueueName`).
pub fn queue(logical: &str) -> String {
    physical(ResourceKind::Queue, logical)
}

/// The name of function `logical` to pass to Lambda's Invoke.
pub fn function(logical: &str) -> String {
    physical(ResourceKind::Function, logical)
}

/// The name an event of `trigger` gives its bucket or queue: the trigger's logical name when the
/// deployment maps it to `physical` (or they are the same), else `physical` unchanged.
pub(crate) fn as_logical(trigger: &Trigger, physical: String) -> String {
    let (kind, logical) = match trigger {
        Trigger::Storage { bucket, .. } => (ResourceKind::Bucket, bucket),
        Trigger::Queue { name, .. } => (ResourceKind::Queue, name),
        _ => return physical,
    };
    if physical == *logical {
        return physical;
    }
    match std::env::var(resource_variable(kind, logical)) {
        Ok(mapped) if mapped == physical => logical.to_string(),
        _ => physical,
    }
}

//! Queues: which exist, their URLs and attributes. CreateQueue, GetQueueUrl, ListQueues,
//! GetQueueAttributes, PurgeQueue.

use fnkit::manifest::{Resource, Trigger};
use fnkit_spec::names::dead_letter_queue;
use serde_json::{json, Map, Value};

use super::{required, Answer, Ctx, SqsError, ACCOUNT};

/// Seconds a received message stays invisible, unless the queue or the call says otherwise.
pub(super) const DEFAULT_VISIBILITY_SECS: u64 = 30;

/// A queue the SQS API knows.
#[derive(Debug)]
pub(super) struct Queue {
    pub name: String,
    /// The function its messages are delivered to.
    pub consumer: Option<String>,
    /// Its dead-letter queue and the deliveries before a message moves there.
    pub redrive: Option<(String, u32)>,
    /// Attributes given to CreateQueue.
    pub attributes: Value,
    pub created_ms: i64,
}

impl Queue {
    /// The queue's `VisibilityTimeout` or `DelaySeconds` attribute, in seconds.
    pub fn seconds(&self, attribute: &str, default: u64) -> u64 {
        self.attributes[attribute]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    }
}

/// The queue a `QueueUrl` (or a bare name) names, or `QueueDoesNotExist`.
pub(super) async fn find(ctx: &Ctx<'_>, url: &str) -> Result<Queue, SqsError> {
    let name = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
    let mut queue = Queue {
        name: name.to_owned(),
        consumer: None,
        redrive: None,
        attributes: json!({}),
        created_ms: 0,
    };
    for f in ctx.engine.functions.values() {
        if let Trigger::Queue {
            name: consumed,
            max_receive_count,
            ..
        } = &f.spec.trigger
        {
            let dlq = dead_letter_queue(consumed);
            if consumed == name {
                queue.consumer = Some(f.config.name.clone());
                queue.redrive = Some((dlq, *max_receive_count));
                return Ok(queue);
            }
            if dlq == name {
                return Ok(queue);
            }
        }
    }
    if used_queues(ctx).any(|used| used == name) {
        return Ok(queue);
    }
    match ctx.work.store.created_queue(name).await {
        Ok(Some((attributes, created_ms))) => Ok(Queue {
            attributes,
            created_ms,
            ..queue
        }),
        Ok(None) => Err(SqsError::no_queue(name)),
        Err(e) => Err(SqsError::internal(e)),
    }
}

/// The queues functions declare in `uses` (`queue("shipments")`): they exist from the start, as
/// the template creates them on AWS.
fn used_queues<'a>(ctx: &'a Ctx<'_>) -> impl Iterator<Item = &'a str> {
    ctx.engine.functions.values().flat_map(|f| {
        f.spec.uses.iter().filter_map(|resource| match resource {
            Resource::Queue(name) => Some(name.as_ref()),
            _ => None,
        })
    })
}

/// Every queue name: the triggers', the used ones, their dead-letter queues, the created ones.
pub(super) async fn all(ctx: &Ctx<'_>) -> Result<Vec<String>, SqsError> {
    let mut names: Vec<String> = Vec::new();
    for f in ctx.engine.functions.values() {
        if let Trigger::Queue { name, .. } = &f.spec.trigger {
            names.push(name.to_string());
            names.push(dead_letter_queue(name));
        }
    }
    names.extend(used_queues(ctx).map(str::to_owned));
    names.extend(
        ctx.work
            .store
            .created_queues()
            .await
            .map_err(SqsError::internal)?,
    );
    names.sort();
    names.dedup();
    Ok(names)
}

pub(super) async fn create(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let name = required(input, "QueueName")?;
    if let Err(e) = fnkit_spec::names::queue_name(name) {
        return Err(SqsError::invalid(e.to_string()));
    }
    if name.ends_with(".fifo") {
        return Err(SqsError::invalid(
            "fnkit-local serves standard queues, not FIFO queues",
        ));
    }
    let given = match &input["Attributes"] {
        Value::Object(m) => Value::Object(m.clone()),
        _ => json!({}),
    };
    for (attribute, range) in [
        ("VisibilityTimeout", 0..=43_200u64),
        ("DelaySeconds", 0..=900),
    ] {
        if let Some(v) = given.get(attribute) {
            let ok = v
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|n| range.contains(&n));
            if !ok {
                return Err(SqsError::invalid(format!(
                    "Invalid value for the parameter {attribute}."
                )));
            }
        }
    }
    if let Ok(existing) = find(ctx, name).await {
        let differs = given
            .as_object()
            .is_some_and(|g| g.iter().any(|(k, v)| existing.attributes.get(k) != Some(v)));
        if existing.created_ms > 0 && differs {
            return Err(SqsError::new(
                "QueueNameExists",
                "QueueAlreadyExists",
                format!("A queue already exists with the name {name} and different attributes."),
            ));
        }
        return Ok(json!({ "QueueUrl": ctx.url(name) }));
    }
    ctx.work
        .store
        .create_queue(name, given)
        .await
        .map_err(SqsError::internal)?;
    Ok(json!({ "QueueUrl": ctx.url(name) }))
}

pub(super) async fn get_url(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueName")?).await?;
    Ok(json!({ "QueueUrl": ctx.url(&queue.name) }))
}

pub(super) async fn list(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let prefix = input["QueueNamePrefix"].as_str().unwrap_or_default();
    let urls: Vec<String> = all(ctx)
        .await?
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .map(|n| ctx.url(&n))
        .collect();
    Ok(json!({ "QueueUrls": urls }))
}

/// The attributes GetQueueAttributes knows.
const ATTRIBUTES: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "DelaySeconds",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "VisibilityTimeout",
];

pub(super) async fn attributes(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueUrl")?).await?;
    let asked: Vec<&str> = input["AttributeNames"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(unknown) = asked
        .iter()
        .find(|a| **a != "All" && !ATTRIBUTES.contains(a))
    {
        return Err(SqsError::new(
            "InvalidAttributeName",
            "InvalidAttributeName",
            format!("Unknown Attribute {unknown}."),
        ));
    }
    let store = &ctx.work.store;
    let (visible, not_visible, delayed) = if queue.consumer.is_some() {
        let c = store
            .queue_counts(&queue.name)
            .await
            .map_err(SqsError::internal)?;
        (c.depth - c.delayed, c.in_flight, c.delayed)
    } else {
        let c = store
            .pull_counts(&queue.name)
            .await
            .map_err(SqsError::internal)?;
        (c.visible, c.not_visible, c.delayed)
    };
    let created = (queue.created_ms / 1000).to_string();
    let mut all = Map::new();
    let mut put = |k: &str, v: String| {
        all.insert(k.to_owned(), Value::String(v));
    };
    put("ApproximateNumberOfMessages", visible.to_string());
    put(
        "ApproximateNumberOfMessagesNotVisible",
        not_visible.to_string(),
    );
    put("ApproximateNumberOfMessagesDelayed", delayed.to_string());
    put("CreatedTimestamp", created.clone());
    put("LastModifiedTimestamp", created);
    put("DelaySeconds", queue.seconds("DelaySeconds", 0).to_string());
    put(
        "VisibilityTimeout",
        queue
            .seconds("VisibilityTimeout", DEFAULT_VISIBILITY_SECS)
            .to_string(),
    );
    put(
        "MaximumMessageSize",
        fnkit_spec::manifest::MAX_MESSAGE_BYTES.to_string(),
    );
    put("MessageRetentionPeriod", "345600".to_owned());
    put("ReceiveMessageWaitTimeSeconds", "0".to_owned());
    put(
        "QueueArn",
        format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{}", queue.name),
    );
    if let Some((dlq, max)) = &queue.redrive {
        let policy = json!({"deadLetterTargetArn": format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{dlq}"), "maxReceiveCount": max});
        put("RedrivePolicy", policy.to_string());
    }
    let chosen: Map<String, Value> = all
        .into_iter()
        .filter(|(k, _)| asked.contains(&"All") || asked.contains(&k.as_str()))
        .collect();
    Ok(json!({ "Attributes": chosen }))
}

pub(super) async fn purge(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueUrl")?).await?;
    ctx.work
        .store
        .purge(&queue.name)
        .await
        .map_err(SqsError::internal)?;
    Ok(json!({}))
}

//! Messages: SendMessage and SendMessageBatch (attributes, delays, SQS's size limit and
//! digests), and, for queues no function consumes, ReceiveMessage (with long polling),
//! DeleteMessage, DeleteMessageBatch and ChangeMessageVisibility.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use fnkit::platform::{md5_hex, md5_of_message_attributes};
use fnkit::MessageAttribute;
use fnkit_spec::manifest::{MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES};
use serde_json::{json, Map, Value};

use super::queues::{find, Queue, DEFAULT_VISIBILITY_SECS};
use super::{integer, required, Answer, Ctx, SqsError};
use crate::engine::new_request_id;
use crate::work::attributes;
use crate::work::store::{Kind, NewMessage, StoredMessage, FIRST_RECEIVE};

/// How often a long poll looks for messages.
const POLL: Duration = Duration::from_millis(50);

/// A message checked as SQS checks it, ready to store, with the digests SendMessage answers.
struct Checked {
    message: NewMessage,
    md5_of_body: String,
    md5_of_attributes: Option<String>,
}

/// Checks one message (`MessageBody`, `MessageAttributes`, `DelaySeconds`) for `queue`.
fn check(queue: &Queue, input: &Value) -> Result<Checked, SqsError> {
    let body = required(input, "MessageBody")?;
    if body.is_empty() {
        return Err(SqsError::invalid(
            "The message body must be at least one character.",
        ));
    }
    let mut message_attributes: HashMap<String, MessageAttribute> = HashMap::new();
    let mut stored = Map::new();
    let mut size = body.len();
    if let Value::Object(given) = &input["MessageAttributes"] {
        if given.len() > 10 {
            return Err(SqsError::invalid(
                "A message may have at most 10 message attributes.",
            ));
        }
        for (name, value) in given {
            let attribute = attributes::from_json(value)
                .map_err(|e| SqsError::invalid(format!("Message attribute `{name}`: {e}")))?;
            size += name.len()
                + attribute.data_type.len()
                + attribute.string_value.as_ref().map_or(0, String::len)
                + attribute.binary_value.as_ref().map_or(0, Vec::len);
            stored.insert(name.clone(), attributes::to_json(&attribute));
            message_attributes.insert(name.clone(), attribute);
        }
    }
    if size > MAX_MESSAGE_BYTES {
        return Err(SqsError::invalid(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {MAX_MESSAGE_BYTES} bytes."
        )));
    }
    let delay = integer(input, "DelaySeconds", 0..=MAX_DELAY_SECONDS)?
        .unwrap_or_else(|| queue.seconds("DelaySeconds", 0));
    Ok(Checked {
        md5_of_body: md5_hex(body.as_bytes()),
        md5_of_attributes: md5_of_message_attributes(&message_attributes),
        message: NewMessage {
            id: new_request_id(),
            kind: Kind::Queue,
            target: queue.name.clone(),
            body: body.as_bytes().to_vec(),
            attributes: Value::Object(stored),
            trigger: "queue".to_owned(),
            delay_ms: delay * 1000,
        },
    })
}

/// What SendMessage answers for a stored message.
fn sent(checked: &Checked) -> Value {
    let mut out = json!({
        "MessageId": checked.message.id,
        "MD5OfMessageBody": checked.md5_of_body,
    });
    if let Some(md5) = &checked.md5_of_attributes {
        out["MD5OfMessageAttributes"] = md5.clone().into();
    }
    out
}

pub(super) async fn send(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueUrl")?).await?;
    let checked = check(&queue, input)?;
    let answer = sent(&checked);
    ctx.work
        .push(vec![checked.message])
        .await
        .map_err(SqsError::internal)?;
    Ok(answer)
}

/// The entries of a batch request: 1 to 10, with distinct, well-formed ids.
fn entries<'v>(input: &'v Value, list: &str) -> Result<&'v [Value], SqsError> {
    let entries = input[list]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if entries.is_empty() {
        return Err(SqsError::new(
            "EmptyBatchRequest",
            "AWS.SimpleQueueService.EmptyBatchRequest",
            "There should be at least one entry in the request.",
        ));
    }
    if entries.len() > 10 {
        return Err(SqsError::new(
            "TooManyEntriesInBatchRequest",
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            "Maximum number of entries per request are 10.",
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for entry in entries {
        let id = entry["Id"].as_str().unwrap_or_default();
        let well_formed = !id.is_empty()
            && id.len() <= 80
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(SqsError::new(
                "InvalidBatchEntryId",
                "AWS.SimpleQueueService.InvalidBatchEntryId",
                format!("The batch entry id `{id}` is not valid."),
            ));
        }
        if !ids.insert(id) {
            return Err(SqsError::new(
                "BatchEntryIdsNotDistinct",
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(entries)
}

/// A failed entry of a batch, as SQS reports it.
fn failed(id: &str, e: &SqsError) -> Value {
    json!({"Id": id, "SenderFault": true, "Code": e.query_code, "Message": e.message})
}

pub(super) async fn send_batch(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueUrl")?).await?;
    let mut successful = Vec::new();
    let mut failures = Vec::new();
    let mut messages = Vec::new();
    let mut total = 0;
    for entry in entries(input, "Entries")? {
        let id = entry["Id"].as_str().unwrap_or_default();
        match check(&queue, entry) {
            Ok(checked) => {
                total += checked.message.body.len();
                let mut answer = sent(&checked);
                answer["Id"] = id.into();
                successful.push(answer);
                messages.push(checked.message);
            }
            Err(e) => failures.push(failed(id, &e)),
        }
    }
    if total > MAX_MESSAGE_BYTES {
        return Err(SqsError::new(
            "BatchRequestTooLong",
            "AWS.SimpleQueueService.BatchRequestTooLong",
            format!("Batch requests cannot be longer than {MAX_MESSAGE_BYTES} bytes."),
        ));
    }
    ctx.work.push(messages).await.map_err(SqsError::internal)?;
    Ok(json!({"Successful": successful, "Failed": failures}))
}

/// Receiving is for queues no function consumes: a consumer's messages are its function's.
fn pull_queue(queue: &Queue) -> Result<(), SqsError> {
    match &queue.consumer {
        Some(function) => Err(SqsError::new("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", format!("queue `{}` is consumed by function `{function}`; fnkit-local delivers its messages to it", queue.name))),
        None => Ok(()),
    }
}

/// A receipt handle names the message and its receive, so a stale one is told apart.
fn receipt(m: &StoredMessage) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{}#{}", m.id, m.receive_count))
}

fn message_id(handle: &str) -> Result<String, SqsError> {
    let invalid = || {
        SqsError::new(
            "ReceiptHandleIsInvalid",
            "ReceiptHandleIsInvalid",
            format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
        )
    };
    let text = base64::engine::general_purpose::STANDARD
        .decode(handle)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(text).map_err(|_| invalid())?;
    let (id, _) = text.split_once('#').ok_or_else(invalid)?;
    Ok(id.to_owned())
}

/// Whether a name list (`MessageAttributeNames`, `MessageSystemAttributeNames`) asks for `name`.
fn asks(list: &Value, name: &str) -> bool {
    list.as_array().is_some_and(|names| {
        names.iter().filter_map(Value::as_str).any(|n| {
            n == "All"
                || n == ".*"
                || n == name
                || n.strip_suffix(".*").is_some_and(|p| name.starts_with(p))
        })
    })
}

/// A received message as ReceiveMessage answers it.
fn received(m: &StoredMessage, input: &Value) -> Value {
    let (_, message_attributes) = attributes::split(&m.attributes);
    let mut out = json!({
        "MessageId": m.id,
        "ReceiptHandle": receipt(m),
        "MD5OfBody": md5_hex(m.body.as_bytes()),
        "Body": m.body,
    });
    let wanted: HashMap<String, MessageAttribute> = message_attributes
        .into_iter()
        .filter(|(name, _)| asks(&input["MessageAttributeNames"], name))
        .collect();
    if let Some(md5) = md5_of_message_attributes(&wanted) {
        out["MD5OfMessageAttributes"] = md5.into();
        let map: Map<String, Value> = wanted
            .iter()
            .map(|(k, a)| (k.clone(), attributes::to_json(a)))
            .collect();
        out["MessageAttributes"] = Value::Object(map);
    }
    let system = [
        ("ApproximateReceiveCount", m.receive_count.to_string()),
        ("SentTimestamp", m.sent_at.to_string()),
        ("SenderId", "AIDAFNKITLOCAL".to_owned()),
        (
            FIRST_RECEIVE,
            m.attributes[FIRST_RECEIVE]
                .as_str()
                .map_or_else(|| m.sent_at.to_string(), str::to_owned),
        ),
    ];
    let names = if input["MessageSystemAttributeNames"].is_null() {
        &input["AttributeNames"]
    } else {
        &input["MessageSystemAttributeNames"]
    };
    let chosen: Map<String, Value> = system
        .into_iter()
        .filter(|(k, _)| asks(names, k))
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .collect();
    if !chosen.is_empty() {
        out["Attributes"] = Value::Object(chosen);
    }
    out
}

pub(super) async fn receive(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueUrl")?).await?;
    pull_queue(&queue)?;
    let max = integer(input, "MaxNumberOfMessages", 1..=10)?.unwrap_or(1) as u32;
    let visibility = integer(input, "VisibilityTimeout", 0..=43_200)?
        .unwrap_or_else(|| queue.seconds("VisibilityTimeout", DEFAULT_VISIBILITY_SECS));
    let wait = integer(input, "WaitTimeSeconds", 0..=20)?.unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(wait);
    let store = &ctx.work.store;
    loop {
        let got = store
            .receive(&queue.name, max, visibility * 1000)
            .await
            .map_err(SqsError::internal)?;
        if !got.is_empty() {
            let messages: Vec<Value> = got.iter().map(|m| received(m, input)).collect();
            return Ok(json!({ "Messages": messages }));
        }
        if Instant::now() >= deadline {
            return Ok(json!({}));
        }
        tokio::time::sleep(POLL.min(deadline - Instant::now())).await;
    }
}

pub(super) async fn delete(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueUrl")?).await?;
    let id = message_id(required(input, "ReceiptHandle")?)?;
    ctx.work
        .store
        .delete_message(&queue.name, &id)
        .await
        .map_err(SqsError::internal)?;
    Ok(json!({}))
}

pub(super) async fn delete_batch(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueUrl")?).await?;
    let mut successful = Vec::new();
    let mut failures = Vec::new();
    for entry in entries(input, "Entries")? {
        let id = entry["Id"].as_str().unwrap_or_default();
        let outcome = match message_id(entry["ReceiptHandle"].as_str().unwrap_or_default()) {
            Ok(message) => ctx
                .work
                .store
                .delete_message(&queue.name, &message)
                .await
                .map_err(SqsError::internal),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => successful.push(json!({"Id": id})),
            Err(e) => failures.push(failed(id, &e)),
        }
    }
    Ok(json!({"Successful": successful, "Failed": failures}))
}

pub(super) async fn change_visibility(ctx: &Ctx<'_>, input: &Value) -> Answer {
    let queue = find(ctx, required(input, "QueueUrl")?).await?;
    pull_queue(&queue)?;
    let id = message_id(required(input, "ReceiptHandle")?)?;
    let timeout = integer(input, "VisibilityTimeout", 0..=43_200)?
        .ok_or_else(|| SqsError::missing("VisibilityTimeout"))?;
    let changed = ctx
        .work
        .store
        .change_visibility(&queue.name, &id, timeout * 1000)
        .await
        .map_err(SqsError::internal)?;
    if !changed {
        return Err(SqsError::new(
            "MessageNotInflight",
            "AWS.SimpleQueueService.MessageNotInflight",
            "The message referred to is not in flight.",
        ));
    }
    Ok(json!({}))
}

//! Queue functions: batches of messages decoded from SQS records, answered with the ids of the
//! messages that failed (`batchItemFailures`), so only those are delivered again.

use std::collections::HashMap;

use aws_lambda_events::sqs::SqsEvent;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{parse_payload, trigger, FromEvent, Respond};
use crate::invocation::Invocation;
use crate::Error;

/// A batch of messages, each body decoded as `T`.
///
/// A message whose body does not decode as `T` is not handed to the handler: it is reported as
/// failed on its own, so it is retried and ends in the dead-letter queue while the rest of the
/// batch succeeds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueueBatch<T> {
    /// The messages, in delivery order.
    pub messages: Vec<QueueMessage<T>>,
}

impl<T> QueueBatch<T> {
    /// A batch of the given messages.
    pub fn new(messages: Vec<QueueMessage<T>>) -> Self {
        QueueBatch { messages }
    }
}

impl<T> IntoIterator for QueueBatch<T> {
    type Item = QueueMessage<T>;
    type IntoIter = std::vec::IntoIter<QueueMessage<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.messages.into_iter()
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueueMessage<T> {
    /// The message id; name it in a [`BatchResult`] to retry the message.
    pub id: String,
    /// The decoded body.
    pub body: T,
    /// How many times the message has been delivered, this time included
    /// (`ApproximateReceiveCount`).
    pub receive_count: u32,
    /// The queue's name.
    pub queue: String,
    /// SQS's system attributes (`ApproximateReceiveCount`, `SentTimestamp`, ...).
    pub attributes: HashMap<String, String>,
    /// The message attributes its sender set (`MessageAttributes` of SendMessage).
    pub message_attributes: HashMap<String, MessageAttribute>,
}

/// A message attribute, as SQS carries it: a data type (`String`, `Number`, `Binary`, or one of
/// those with a `.custom` suffix) and a string or a binary value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAttribute {
    /// `String`, `Number`, `Binary`, optionally with a `.custom` suffix.
    pub data_type: String,
    /// The value of a `String` or `Number` attribute.
    pub string_value: Option<String>,
    /// The value of a `Binary` attribute.
    pub binary_value: Option<Vec<u8>>,
}

impl MessageAttribute {
    /// A `String` attribute.
    pub fn string(value: impl Into<String>) -> Self {
        MessageAttribute {
            data_type: "String".to_owned(),
            string_value: Some(value.into()),
            binary_value: None,
        }
    }

    /// A `Number` attribute (SQS keeps numbers as text).
    pub fn number(value: impl ToString) -> Self {
        MessageAttribute {
            data_type: "Number".to_owned(),
            string_value: Some(value.to_string()),
            binary_value: None,
        }
    }

    /// A `Binary` attribute.
    pub fn binary(value: impl Into<Vec<u8>>) -> Self {
        MessageAttribute {
            data_type: "Binary".to_owned(),
            string_value: None,
            binary_value: Some(value.into()),
        }
    }
}

impl<T> QueueMessage<T> {
    /// A first delivery of `body` with the given id.
    pub fn new(id: impl Into<String>, body: T) -> Self {
        QueueMessage {
            id: id.into(),
            body,
            receive_count: 1,
            queue: String::new(),
            attributes: HashMap::new(),
            message_attributes: HashMap::new(),
        }
    }
}

/// What a queue function answers: the ids of the messages to deliver again.
///
/// ```
/// let mut result = fnkit::BatchResult::default();
/// result.fail("msg-2");
/// assert_eq!(result.failed(), ["msg-2"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResult {
    failed: Vec<String>,
}

impl BatchResult {
    /// Every message succeeded.
    pub fn ok() -> Self {
        BatchResult::default()
    }

    /// Marks a message as failed, to be delivered again.
    pub fn fail(&mut self, id: impl Into<String>) -> &mut Self {
        self.failed.push(id.into());
        self
    }

    /// The failed message ids.
    pub fn failed(&self) -> &[String] {
        &self.failed
    }
}

impl FromIterator<String> for BatchResult {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        BatchResult {
            failed: iter.into_iter().collect(),
        }
    }
}

/// Decodes a message body: JSON first, then, for string-like `T`, the raw text.
fn decode_body<T: DeserializeOwned>(body: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(body).or_else(|e| {
        serde_json::from_value(serde_json::Value::String(body.to_owned())).map_err(|_| e)
    })
}

impl<T: DeserializeOwned> FromEvent<trigger::Queue> for QueueBatch<T> {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        const WHAT: &str = "a queue batch (SQS records)";
        let event: SqsEvent = parse_payload(&invocation.payload, WHAT)?;
        let mut messages = Vec::with_capacity(event.records.len());
        let mut undecodable = Vec::new();
        for record in event.records {
            let id = record
                .message_id
                .ok_or_else(|| Error::unmarshal(WHAT, "a record has no `messageId`"))?;
            let body = record.body.unwrap_or_default();
            match decode_body::<T>(&body) {
                Ok(body) => messages.push(QueueMessage {
                    receive_count: record
                        .attributes
                        .get("ApproximateReceiveCount")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(1),
                    queue: crate::resource::as_logical(
                        &invocation.spec.trigger,
                        record
                            .event_source_arn
                            .as_deref()
                            .and_then(|arn| arn.rsplit(':').next())
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                    attributes: record.attributes,
                    message_attributes: record
                        .message_attributes
                        .into_iter()
                        .map(|(name, a)| {
                            let attribute = MessageAttribute {
                                data_type: a.data_type.unwrap_or_default(),
                                string_value: a.string_value,
                                binary_value: a.binary_value.map(|b| b.0),
                            };
                            (name, attribute)
                        })
                        .collect(),
                    id,
                    body,
                }),
                Err(e) => {
                    tracing::warn!(message_id = %id, error = %e, "message body does not decode as {}; reported as failed", std::any::type_name::<T>());
                    undecodable.push(id);
                }
            }
        }
        if !undecodable.is_empty() {
            invocation.extensions.insert(Undecodable(undecodable));
        }
        Ok(QueueBatch { messages })
    }
}

/// Queue messages whose body did not decode: reported as failed, never handed to the handler.
#[derive(Debug, Clone)]
struct Undecodable(Vec<String>);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchResponse<'a> {
    batch_item_failures: Vec<ItemFailure<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemFailure<'a> {
    item_identifier: &'a str,
}

impl Respond<trigger::Queue> for BatchResult {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        let failures = self
            .failed
            .iter()
            .chain(
                invocation
                    .extensions
                    .get::<Undecodable>()
                    .map(|u| &u.0[..])
                    .unwrap_or_default(),
            )
            .map(|id| ItemFailure {
                item_identifier: id,
            })
            .collect();
        serde_json::to_vec(&BatchResponse {
            batch_item_failures: failures,
        })
        .map_err(Error::marshal)
    }
}

impl Respond<trigger::Queue> for () {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        BatchResult::ok().respond(invocation)
    }
}

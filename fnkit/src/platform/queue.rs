//! The SQS event AWS sends a queue function, built from `aws_lambda_events`' own types.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};

use crate::QueueMessage;

/// The SQS event for messages with raw string bodies, as AWS would deliver it from `queue`.
pub fn to_sqs_event(queue: &str, messages: &[QueueMessage<String>]) -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        .to_string();
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut attributes = m.attributes.clone();
            for (k, v) in [
                ("ApproximateReceiveCount", m.receive_count.to_string()),
                ("SentTimestamp", now.clone()),
                ("SenderId", "fnkit".to_owned()),
                ("ApproximateFirstReceiveTimestamp", now.clone()),
            ] {
                attributes.entry(k.to_owned()).or_insert(v);
            }
            let mut record = SqsMessage::default();
            record.message_id = Some(m.id.clone());
            record.receipt_handle = Some(format!("{}#{}", m.id, m.receive_count));
            record.body = Some(m.body.clone());
            record.md5_of_body = Some(String::new());
            record.attributes = attributes;
            record.event_source = Some("aws:sqs".to_owned());
            record.event_source_arn = Some(format!("arn:aws:sqs:us-east-1:000000000000:{queue}"));
            record.aws_region = Some("us-east-1".to_owned());
            record
        })
        .collect();
    super::without_nulls(serde_json::to_value(event).unwrap_or_default())
}

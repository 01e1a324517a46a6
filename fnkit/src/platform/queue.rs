//! The SQS event AWS sends a queue function.

use crate::QueueMessage;

/// The SQS event for messages with raw string bodies, as AWS would deliver it from `queue`.
pub fn to_sqs_event(queue: &str, messages: &[QueueMessage<String>]) -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        .to_string();
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| {
            let mut attributes = serde_json::json!({
                "ApproximateReceiveCount": m.receive_count.to_string(),
                "SentTimestamp": now,
                "SenderId": "fnkit",
                "ApproximateFirstReceiveTimestamp": now,
            });
            for (k, v) in &m.attributes {
                attributes[k] = v.clone().into();
            }
            serde_json::json!({
                "messageId": m.id,
                "receiptHandle": format!("{}#{}", m.id, m.receive_count),
                "body": m.body,
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:000000000000:{queue}"),
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

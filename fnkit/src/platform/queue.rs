//! The SQS event AWS sends a queue function, built from `aws_lambda_events`' own types, and
//! SQS's digests (`md5OfBody`, `md5OfMessageAttributes`), which the emulator's SQS API answers
//! with too.

use std::collections::HashMap;

use aws_lambda_events::encodings::Base64Data;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use md5::{Digest, Md5};

use crate::{MessageAttribute, QueueMessage};

/// The MD5 of `bytes`, hex, as SQS reports a body's.
pub fn md5_hex(bytes: &[u8]) -> String {
    format!("{:x}", Md5::digest(bytes))
}

/// SQS's `MD5OfMessageAttributes`: over the attributes sorted by name, each as its name, its
/// data type (each a 4-byte big-endian length and the UTF-8 bytes), a transport byte (1 for
/// `String` and `Number` types, 2 for `Binary`) and its value (length and bytes). `None` when
/// there are none.
pub fn md5_of_message_attributes(attributes: &HashMap<String, MessageAttribute>) -> Option<String> {
    if attributes.is_empty() {
        return None;
    }
    fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
        buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        buf.extend_from_slice(bytes);
    }
    let mut names: Vec<&String> = attributes.keys().collect();
    names.sort();
    let mut buf = Vec::new();
    for name in names {
        let a = &attributes[name];
        field(&mut buf, name.as_bytes());
        field(&mut buf, a.data_type.as_bytes());
        if a.data_type.starts_with("Binary") {
            buf.push(2);
            field(&mut buf, a.binary_value.as_deref().unwrap_or_default());
        } else {
            buf.push(1);
            field(
                &mut buf,
                a.string_value.as_deref().unwrap_or_default().as_bytes(),
            );
        }
    }
    Some(md5_hex(&buf))
}

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
            record.md5_of_body = Some(md5_hex(m.body.as_bytes()));
            record.md5_of_message_attributes = md5_of_message_attributes(&m.message_attributes);
            record.body = Some(m.body.clone());
            record.attributes = attributes;
            record.message_attributes = m
                .message_attributes
                .iter()
                .map(|(name, a)| {
                    let mut attribute = SqsMessageAttribute::default();
                    attribute.data_type = Some(a.data_type.clone());
                    attribute.string_value.clone_from(&a.string_value);
                    attribute.binary_value = a.binary_value.clone().map(|bytes| {
                        let mut data = Base64Data::default();
                        *data = bytes;
                        data
                    });
                    (name.clone(), attribute)
                })
                .collect();
            record.event_source = Some("aws:sqs".to_owned());
            record.event_source_arn = Some(format!("arn:aws:sqs:us-east-1:000000000000:{queue}"));
            record.aws_region = Some("us-east-1".to_owned());
            record
        })
        .collect();
    super::without_nulls(serde_json::to_value(event).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_attribute_digest_matches_sqs() {
        // The digest moto's SQS tests expect for this attribute (an implementation we did not write).
        let attributes = HashMap::from([(
            "timestamp".to_owned(),
            MessageAttribute::number("1493147359900"),
        )]);
        assert_eq!(
            md5_of_message_attributes(&attributes).as_deref(),
            Some("235c5c510d26fb653d073faed50ae77c")
        );
        assert_eq!(md5_of_message_attributes(&HashMap::new()), None);
        assert_eq!(md5_hex(b"first"), "8b04d5e3775d298e78455efc5ca404d5");
    }
}

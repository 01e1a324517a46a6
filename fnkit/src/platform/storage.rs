//! The S3 notification AWS sends a storage function.

use crate::event::storage::encode_key;
use crate::StorageRecord;

/// The S3 notification for `records`, as AWS would deliver it (keys URL-encoded).
pub fn to_s3_event(records: &[StorageRecord]) -> serde_json::Value {
    let records: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let time = chrono::DateTime::<chrono::Utc>::from(r.time);
            let mut object = serde_json::json!({
                "key": encode_key(&r.key),
                "size": r.size,
                "sequencer": format!("{:016X}", time.timestamp_nanos_opt().unwrap_or(0)),
            });
            if let Some(etag) = &r.etag {
                object["eTag"] = etag.clone().into();
            }
            serde_json::json!({
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "eventName": r.event_name,
                "userIdentity": {"principalId": "fnkit"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "fnkit",
                    "bucket": {"name": r.bucket, "ownerIdentity": {"principalId": "fnkit"}, "arn": format!("arn:aws:s3:::{}", r.bucket)},
                    "object": object,
                },
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

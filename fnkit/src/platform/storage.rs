//! The S3 notification AWS sends a storage function, built from `aws_lambda_events`' own types.

use std::collections::HashMap;

use aws_lambda_events::s3::{
    S3Bucket, S3Entity, S3Event, S3EventRecord, S3Object, S3RequestParameters, S3UserIdentity,
};
use chrono::{DateTime, SubsecRound, Utc};

use crate::event::storage::encode_key;
use crate::StorageRecord;

/// The S3 notification for `records`, as AWS would deliver it (keys URL-encoded, times to the
/// millisecond).
pub fn to_s3_event(records: &[StorageRecord]) -> serde_json::Value {
    let mut event = S3Event::default();
    event.records = records.iter().map(record).collect();
    super::without_nulls(serde_json::to_value(event).unwrap_or_default())
}

fn record(r: &StorageRecord) -> S3EventRecord {
    let time = DateTime::<Utc>::from(r.time).trunc_subsecs(3);
    let mut identity = S3UserIdentity::default();
    identity.principal_id = Some("fnkit".to_owned());
    let mut object = S3Object::default();
    object.key = Some(encode_key(&r.key));
    object.size = Some(i64::try_from(r.size).unwrap_or(i64::MAX));
    object.e_tag = r.etag.clone();
    object.sequencer = Some(format!("{:016X}", time.timestamp_nanos_opt().unwrap_or(0)));
    let mut bucket = S3Bucket::default();
    bucket.name = Some(r.bucket.clone());
    bucket.owner_identity = Some(identity.clone());
    bucket.arn = Some(format!("arn:aws:s3:::{}", r.bucket));
    let mut s3 = S3Entity::default();
    s3.schema_version = Some("1.0".to_owned());
    s3.configuration_id = Some("fnkit".to_owned());
    s3.bucket = bucket;
    s3.object = object;
    let mut params = S3RequestParameters::default();
    params.source_ip_address = Some("127.0.0.1".to_owned());
    let mut out = S3EventRecord::default();
    out.event_version = Some("2.1".to_owned());
    out.event_source = Some("aws:s3".to_owned());
    out.aws_region = Some("us-east-1".to_owned());
    out.event_time = time;
    out.event_name = Some(r.event_name.clone());
    out.principal_id = identity;
    out.request_parameters = params;
    out.response_elements = HashMap::new();
    out.s3 = s3;
    out
}

//! CloudEvents 1.0 over HTTP, as Knative, Cloud Run and OpenFaaS deliver them: binary mode
//! (attributes in `ce-*` headers, the body is the data) and structured mode
//! (`application/cloudevents+json`, everything in the body), and the mapping of an event to the
//! payload each trigger's decoder takes.

use base64::Engine as _;
use http::HeaderMap;
use serde_json::{json, Value};

use crate::manifest::Trigger;

/// A CloudEvent, as far as fnkit needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CloudEvent {
    pub id: String,
    pub source: String,
    pub kind: String,
    pub time: Option<String>,
    pub subject: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// Why a request is not a CloudEvent (answered 400).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum CloudEventError {
    #[error("missing required CloudEvents attribute `{0}`")]
    Missing(&'static str),
    #[error("unsupported CloudEvents specversion `{0}`; fnkit reads 1.0")]
    SpecVersion(String),
    #[error("the structured CloudEvent is not valid JSON: {0}")]
    Json(String),
    #[error("`data_base64` is not valid base64: {0}")]
    Base64(String),
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads a CloudEvent from an HTTP request in binary or structured mode.
pub(crate) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<CloudEvent, CloudEventError> {
    let content_type = header(headers, "content-type");
    if content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with("application/cloudevents+json"))
    {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| CloudEventError::Json(e.to_string()))?;
        let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        let spec = text("specversion").ok_or(CloudEventError::Missing("specversion"))?;
        if spec != "1.0" {
            return Err(CloudEventError::SpecVersion(spec));
        }
        let data = match (value.get("data"), text("data_base64")) {
            (_, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| CloudEventError::Base64(e.to_string()))?,
            (Some(Value::String(s)), None)
                if !text("datacontenttype").is_some_and(|ct| ct.contains("json")) =>
            {
                s.clone().into_bytes()
            }
            (Some(d), None) => serde_json::to_vec(d).unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        return Ok(CloudEvent {
            id: text("id").ok_or(CloudEventError::Missing("id"))?,
            source: text("source").ok_or(CloudEventError::Missing("source"))?,
            kind: text("type").ok_or(CloudEventError::Missing("type"))?,
            time: text("time"),
            subject: text("subject"),
            content_type: text("datacontenttype"),
            data,
        });
    }
    let spec = header(headers, "ce-specversion").ok_or(CloudEventError::Missing("specversion"))?;
    if spec != "1.0" {
        return Err(CloudEventError::SpecVersion(spec));
    }
    Ok(CloudEvent {
        id: header(headers, "ce-id").ok_or(CloudEventError::Missing("id"))?,
        source: header(headers, "ce-source").ok_or(CloudEventError::Missing("source"))?,
        kind: header(headers, "ce-type").ok_or(CloudEventError::Missing("type"))?,
        time: header(headers, "ce-time"),
        subject: header(headers, "ce-subject"),
        content_type,
        data: body.to_vec(),
    })
}

impl CloudEvent {
    /// The data as JSON: parsed if it is JSON, a JSON string otherwise.
    fn data_json(&self) -> Value {
        serde_json::from_slice(&self.data)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.data).into_owned()))
    }

    fn system_time(&self) -> std::time::SystemTime {
        self.time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc).into())
            .unwrap_or_else(std::time::SystemTime::now)
    }

    /// The payload the function's decoder takes, in the platform shape it already reads.
    pub(crate) fn payload(&self, trigger: &Trigger) -> Value {
        let data = self.data_json();
        match trigger {
            Trigger::Event | Trigger::Http { .. } => data,
            // An S3 notification (or SQS batch) forwarded as is.
            Trigger::Storage { .. } | Trigger::Queue { .. } if data.get("Records").is_some() => {
                data
            }
            Trigger::Storage { .. } => {
                // Google Cloud Storage (`google.cloud.storage.object.v1.finalized` / `.deleted`)
                // and generic `{bucket, key|name, size}` data.
                let deleted = self.kind.contains("delete") || self.kind.contains("Deleted");
                let bucket = data["bucket"].as_str().unwrap_or_default();
                let key = data["key"]
                    .as_str()
                    .or(data["name"].as_str())
                    .or(self
                        .subject
                        .as_deref()
                        .and_then(|s| s.strip_prefix("objects/")))
                    .unwrap_or_default();
                let size = data["size"]
                    .as_u64()
                    .or(data["size"].as_str().and_then(|s| s.parse().ok()))
                    .unwrap_or(0);
                let change = if deleted {
                    crate::StorageChange::Deleted
                } else {
                    crate::StorageChange::Created
                };
                let mut record = crate::StorageRecord::new(bucket, key, change).size(size);
                record.time = self.system_time();
                if let Some(etag) = data["etag"].as_str().or(data["md5Hash"].as_str()) {
                    record = record.etag(etag);
                }
                crate::platform::to_s3_event(&[record])
            }
            Trigger::Queue { name, .. } => {
                let body = match &data {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                crate::platform::to_sqs_event(
                    name,
                    &[crate::QueueMessage::new(self.id.clone(), body)],
                )
            }
            Trigger::Schedule(_) => {
                let mut event = crate::ScheduleEvent::new(self.id.clone(), self.system_time());
                event.resources = vec![self.source.clone()];
                crate::platform::to_eventbridge_event(&event)
            }
        }
    }
}

/// A JSON error body.
pub(crate) fn error_json(error_type: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"errorType": error_type, "errorMessage": message}))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn binary_mode_reads_ce_headers() {
        let h = headers(&[
            ("ce-id", "1"),
            ("ce-source", "s"),
            ("ce-type", "t"),
            ("ce-specversion", "1.0"),
            ("content-type", "application/json"),
        ]);
        let e = parse(&h, b"{\"a\":1}").unwrap();
        assert_eq!(
            (e.id.as_str(), e.kind.as_str(), e.data.as_slice()),
            ("1", "t", &b"{\"a\":1}"[..])
        );
        let missing = headers(&[("ce-id", "1"), ("ce-specversion", "1.0"), ("ce-type", "t")]);
        assert_eq!(
            parse(&missing, b"").unwrap_err(),
            CloudEventError::Missing("source")
        );
        assert_eq!(
            parse(&HeaderMap::new(), b"").unwrap_err(),
            CloudEventError::Missing("specversion")
        );
    }

    #[test]
    fn structured_mode_reads_the_body() {
        let h = headers(&[("content-type", "application/cloudevents+json")]);
        let body = br#"{"specversion":"1.0","id":"9","source":"s","type":"t","datacontenttype":"application/json","data":{"n":1}}"#;
        let e = parse(&h, body).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&e.data).unwrap(),
            json!({"n": 1})
        );
        let b64 = br#"{"specversion":"1.0","id":"9","source":"s","type":"t","data_base64":"aGk="}"#;
        assert_eq!(parse(&h, b64).unwrap().data, b"hi");
        assert!(matches!(parse(&h, b"{nope"), Err(CloudEventError::Json(_))));
        let v2 = br#"{"specversion":"0.3","id":"9","source":"s","type":"t"}"#;
        assert_eq!(
            parse(&h, v2).unwrap_err(),
            CloudEventError::SpecVersion("0.3".into())
        );
    }
}

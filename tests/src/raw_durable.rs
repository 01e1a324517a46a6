//! A durable handler's side of the protocol in raw JSON over HTTP, with no SDK: the fixtures of
//! `src/bin/durable_raw.rs` use it to check the emulator's durable service by what the protocol
//! says, not by what fnkit's own SDK sends.

use std::collections::HashMap;

use fnkit::Error;
use serde_json::{json, Value};

use crate::emulator::request;

/// One invocation's view of its execution: the ARN, the latest token, the operations by id.
#[derive(Debug)]
pub struct Raw {
    /// The emulator's base URL (`AWS_ENDPOINT_URL`).
    pub base: String,
    /// The execution.
    pub arn: String,
    /// The latest checkpoint token.
    pub token: String,
    /// The operations by id, as last read.
    pub ops: HashMap<String, Value>,
}

/// A path label, percent-encoded.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Raw {
    /// Reads the envelope, paging through the state.
    pub async fn new(envelope: &Value) -> Result<Raw, Error> {
        let base = std::env::var("AWS_ENDPOINT_URL")
            .map_err(|_| Error::new("Fixture", "AWS_ENDPOINT_URL is not set"))?;
        let mut raw = Raw {
            base,
            arn: envelope["DurableExecutionArn"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            token: envelope["CheckpointToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            ops: HashMap::new(),
        };
        let state = &envelope["InitialExecutionState"];
        raw.merge(&state["Operations"]);
        let mut marker = state["NextMarker"].as_str().unwrap_or_default().to_owned();
        while !marker.is_empty() {
            let url = format!(
                "{}/2025-12-01/durable-executions/{}/state?CheckpointToken={}&Marker={marker}&MaxItems=1000",
                raw.base,
                encode(&raw.arn),
                encode(&raw.token)
            );
            let page = request("GET", &url, &[], Vec::new()).await.json();
            raw.merge(&page["Operations"]);
            marker = page["NextMarker"].as_str().unwrap_or_default().to_owned();
        }
        Ok(raw)
    }

    fn merge(&mut self, ops: &Value) {
        for op in ops.as_array().into_iter().flatten() {
            let id = op["Id"].as_str().unwrap_or_default().to_owned();
            self.ops.insert(id, op.clone());
        }
    }

    /// The caller's input: the EXECUTION operation's, whose id is the ARN's last segment.
    pub fn input(&self) -> Value {
        let id = self.arn.rsplit('/').next().unwrap_or_default();
        let text = self
            .ops
            .get(id)
            .and_then(|op| op["ExecutionDetails"]["InputPayload"].as_str());
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null)
    }

    /// The status of operation `id` (`""` when it has no record).
    pub fn status(&self, id: &str) -> &str {
        self.ops
            .get(id)
            .and_then(|o| o["Status"].as_str())
            .unwrap_or("")
    }

    /// Checkpoints `updates` (a JSON array) and merges the answer.
    pub async fn checkpoint(&mut self, updates: Value) -> Result<(), Error> {
        let url = format!(
            "{}/2025-12-01/durable-executions/{}/checkpoint",
            self.base,
            encode(&self.arn)
        );
        let body = json!({"CheckpointToken": self.token, "Updates": updates});
        let reply = request(
            "POST",
            &url,
            &[("content-type", "application/json")],
            body.to_string().into_bytes(),
        )
        .await;
        if reply.status != 200 {
            return Err(Error::new("Checkpoint", reply.text()));
        }
        let answer = reply.json();
        self.token = answer["CheckpointToken"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.merge(&answer["NewExecutionState"]["Operations"]);
        Ok(())
    }
}

/// A SUCCEEDED answer with `result`.
pub fn succeeded(result: &Value) -> Value {
    json!({"Status": "SUCCEEDED", "Result": result.to_string()})
}

/// A PENDING answer.
pub fn pending() -> Value {
    json!({"Status": "PENDING"})
}

/// A STEP update of `action` for `id`, with `extra` members.
pub fn step(id: &str, action: &str, extra: Value) -> Value {
    let mut u = json!({"Id": id, "Type": "STEP", "SubType": "Step", "Action": action});
    if let (Some(u), Some(extra)) = (u.as_object_mut(), extra.as_object()) {
        u.extend(extra.clone());
    }
    u
}

//! What a run gives back: how the execution ended, and its history as events and as lines.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Execution;
use crate::Error;

impl Execution {
    /// The result, read as `T`; the error (or why there is none) otherwise.
    pub fn result<T: DeserializeOwned>(&self) -> Result<T, Error> {
        match (&self.result, &self.error) {
            (Some(text), _) => serde_json::from_str(text)
                .map_err(|e| Error::new("DurableTest.Result", e.to_string())),
            (None, Some(e)) => Err(Error::new(
                e.error_type.clone().unwrap_or_default(),
                e.error_message.clone().unwrap_or_default(),
            )),
            (None, None) => Err(Error::new(
                "DurableTest.NoResult",
                format!(
                    "the execution is {}{}",
                    self.status,
                    self.waiting_on
                        .as_ref()
                        .map(|w| format!(", waiting on {w}"))
                        .unwrap_or_default()
                ),
            )),
        }
    }

    /// How many events of type `event_type` (`StepStarted`) the operations named `name` have.
    pub fn count(&self, event_type: &str, name: &str) -> usize {
        self.events
            .iter()
            .filter(|e| e["EventType"] == event_type && e["Name"] == name)
            .count()
    }

    /// The history, a line per event: its id, when (from the start, on the skipped clock), its
    /// type, its operation's name, and its result, error or duration.
    pub fn history(&self) -> Vec<String> {
        let start = self
            .events
            .first()
            .and_then(|e| e["EventTimestamp"].as_i64());
        self.events
            .iter()
            .map(|e| line(e, start.unwrap_or_default()))
            .collect()
    }
}

impl std::fmt::Display for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for line in self.history() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// One event's line.
fn line(e: &Value, start: i64) -> String {
    let kind = e["EventType"].as_str().unwrap_or_default();
    let at = e["EventTimestamp"].as_i64().unwrap_or(start) - start;
    let name = e["Name"]
        .as_str()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let details = &e[format!("{kind}Details")];
    let what = if let Some(result) = details["Result"]["Payload"].as_str() {
        format!(" = {result}")
    } else if let Some(error) = details["Error"]["Payload"].as_object() {
        let kind = error.get("ErrorType").and_then(Value::as_str).unwrap_or("");
        let message = error
            .get("ErrorMessage")
            .and_then(Value::as_str)
            .unwrap_or("");
        format!(" ! {kind}: {message}")
    } else if let Some(secs) = details["Duration"].as_i64() {
        format!(" ({}s)", secs)
    } else {
        String::new()
    };
    let id = e["EventId"].as_u64().unwrap_or_default();
    format!("{id:>3} {:>7} {kind}{name}{what}", clock(at))
}

/// `+1d`, `+2h`, `+30m`, `+5s`, `+250ms`: the largest unit the time is whole in.
fn clock(ms: i64) -> String {
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1000, "s"),
    ];
    for (size, unit) in units {
        if ms >= size && ms % size == 0 {
            return format!("+{}{unit}", ms / size);
        }
    }
    match ms {
        0 => "+0s".to_owned(),
        ms => format!("+{ms}ms"),
    }
}

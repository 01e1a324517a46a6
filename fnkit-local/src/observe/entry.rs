//! One line of the emulator's log before it is written, and the two ways it is written: for
//! people (`[function request-id] message`, the worker output prefix) and for machines (one JSON
//! object per line: time, level, source, function, request id, message; `--log-format json`).

use serde::Serialize;

/// What wrote a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The emulator's own notice.
    Emulator,
    /// A platform line about a function (INIT_START, START, END, REPORT, a timeout).
    Platform,
    /// What a function's worker printed.
    Worker,
}

/// One line of the log.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Entry<'a> {
    /// What wrote it.
    pub source: Source,
    /// The function it is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<&'a str>,
    /// The invocation it is about, when known (a worker's line during a call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// The text, one line (control characters escaped).
    pub message: &'a str,
}

/// The levels a worker's line may start with (fnkit's own and most loggers' plain formats).
const LEVELS: [&str; 5] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

impl Entry<'_> {
    /// Its level: the one a worker's line starts with (`ERROR the order was rejected`) or names
    /// as JSON (`{"level":"WARN",...}`, Lambda's JSON log format); `INFO` otherwise.
    pub fn level(&self) -> &'static str {
        if self.source != Source::Worker {
            return "INFO";
        }
        let message = self.message.trim_start();
        let first = message.split_whitespace().next().unwrap_or_default();
        if let Some(level) = LEVELS.iter().find(|l| l.eq_ignore_ascii_case(first)) {
            return level;
        }
        if message.starts_with('{') {
            let named = |l: &&&str| {
                message.contains(&format!("\"level\":\"{l}\""))
                    || message.contains(&format!("\"level\": \"{l}\""))
            };
            if let Some(level) = LEVELS.iter().find(named) {
                return level;
            }
        }
        "INFO"
    }

    /// The line for people: prefixed with the function, and a worker's line with the request
    /// id too (a platform line names it already).
    pub fn human(&self) -> String {
        match (self.function, self.request_id, self.source) {
            (Some(f), Some(id), Source::Worker) => format!("[{f} {id}] {}", self.message),
            (Some(f), _, _) => format!("[{f}] {}", self.message),
            _ => self.message.to_owned(),
        }
    }

    /// The line for machines: one JSON object, `time` in RFC 3339 (UTC, milliseconds).
    pub fn json(&self, time: &str) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            time: &'a str,
            level: &'static str,
            #[serde(flatten)]
            entry: &'a Entry<'a>,
        }
        let line = Line {
            time,
            level: self.level(),
            entry: self,
        };
        serde_json::to_string(&line).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(message: &str) -> Entry<'_> {
        Entry {
            source: Source::Worker,
            function: Some("add"),
            request_id: Some("r-1"),
            message,
        }
    }

    #[test]
    fn a_worker_line_names_its_level_and_keeps_its_prefix_for_people() {
        assert_eq!(worker("ERROR the order was rejected").level(), "ERROR");
        assert_eq!(
            worker("warn: low").level(),
            "INFO",
            "a level is a word of its own"
        );
        assert_eq!(
            worker(r#"{"level":"WARN","message":"low"}"#).level(),
            "WARN"
        );
        assert_eq!(worker("hello").level(), "INFO");
        assert_eq!(worker("hello").human(), "[add r-1] hello");
        let platform = Entry {
            source: Source::Platform,
            function: Some("add"),
            request_id: Some("r-1"),
            message: "END RequestId: r-1",
        };
        assert_eq!(platform.human(), "[add] END RequestId: r-1");
    }

    #[test]
    fn a_line_for_machines_is_one_json_object() {
        let line = worker("ERROR boom \"quoted\"").json("2026-11-29T13:00:00.000Z");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"time": "2026-11-29T13:00:00.000Z", "level": "ERROR", "source": "worker",
                "function": "add", "request_id": "r-1", "message": "ERROR boom \"quoted\""})
        );
        assert!(!line.contains('\n'));
    }
}

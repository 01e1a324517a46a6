//! The emulator's log: worker output prefixed with function and request id, START / END /
//! REPORT lines as Lambda writes them, and the emulator's own notices, each an [`Entry`]. Goes
//! to stdout for people by default, or as JSON lines for machines ([`Logs::stdout_json`]), or
//! to `tracing` ([`Logs::tracing`]); embedders and tests can capture it. Each function's recent
//! lines (what its worker printed and its platform lines, unprefixed, as CloudWatch keeps them
//! in the function's log group) are also kept in memory, up to [`RECENT_BYTES`] per function,
//! for `/_fnkit/logs`, and sent to the live feed.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

use super::entry::{Entry, Source};

type Sink = dyn Fn(&[Entry<'_>]) + Send + Sync;

/// How much of each function's recent log is kept (the oldest lines go first).
pub const RECENT_BYTES: usize = 4 * 1024 * 1024;

/// A function's recent lines: `(epoch ms, line)`, and their size.
#[derive(Default)]
struct Recent {
    lines: VecDeque<(i64, String)>,
    bytes: usize,
}

/// Where log lines go.
#[derive(Clone)]
pub struct Logs {
    sink: Arc<Sink>,
    recent: Arc<Mutex<HashMap<String, Recent>>>,
    live: super::live::Live,
}

impl fmt::Debug for Logs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Logs")
    }
}

impl Default for Logs {
    fn default() -> Self {
        Logs::stdout()
    }
}

/// `line` with its control characters but tabs escaped (`\n` as `\\n`): text that came from
/// outside (an object key, an error message) cannot make one log line look like several.
fn one_line(line: &str) -> std::borrow::Cow<'_, str> {
    let control = |c: char| c.is_control() && c != '\t';
    if !line.chars().any(control) {
        return std::borrow::Cow::Borrowed(line);
    }
    let escaped = line.chars().map(|c| match control(c) {
        true => c.escape_default().to_string(),
        false => c.to_string(),
    });
    std::borrow::Cow::Owned(escaped.collect())
}

/// Writes `lines` to stdout in one write (all the lines of an invocation's end together).
fn write_lines(lines: &[String]) {
    let mut buffer = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        buffer.push_str(line);
        buffer.push('\n');
    }
    let _ = std::io::stdout().lock().write_all(buffer.as_bytes());
}

impl Logs {
    fn new(sink: Arc<Sink>) -> Logs {
        Logs {
            sink,
            recent: Arc::default(),
            live: super::live::Live::default(),
        }
    }

    /// Lines to stdout, for people.
    pub fn stdout() -> Logs {
        Logs::new(Arc::new(|entries: &[Entry<'_>]| {
            let lines: Vec<String> = entries.iter().map(Entry::human).collect();
            write_lines(&lines);
        }))
    }

    /// Lines to stdout as JSON, one object per line (`time`, `level`, `source`, `function`,
    /// `request_id`, `message`), for machines.
    pub fn stdout_json() -> Logs {
        Logs::new(Arc::new(|entries: &[Entry<'_>]| {
            let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let lines: Vec<String> = entries.iter().map(|e| e.json(&time)).collect();
            write_lines(&lines);
        }))
    }

    /// Lines as `tracing` events (target `fnkit_local::log`, at the line's level, with
    /// `source`, `function` and `request_id` fields), for an embedder's own subscriber.
    pub fn tracing() -> Logs {
        Logs::new(Arc::new(|entries: &[Entry<'_>]| {
            for e in entries {
                let (function, request_id) = (e.function.unwrap_or(""), e.request_id.unwrap_or(""));
                let source = format!("{:?}", e.source).to_lowercase();
                macro_rules! emit {
                    ($level:ident) => {
                        tracing::$level!(target: "fnkit_local::log", %source, function, request_id, "{}", e.message)
                    };
                }
                match e.level() {
                    "ERROR" => emit!(error),
                    "WARN" => emit!(warn),
                    "DEBUG" => emit!(debug),
                    "TRACE" => emit!(trace),
                    _ => emit!(info),
                }
            }
        }))
    }

    /// Lines (for people) to a function of yours.
    pub fn to_fn(f: impl Fn(&str) + Send + Sync + 'static) -> Logs {
        Logs::new(Arc::new(move |entries: &[Entry<'_>]| {
            entries.iter().for_each(|e| f(&e.human()))
        }))
    }

    /// Lines (for people) kept in memory (and echoed to stderr when `echo`), for tests.
    pub fn capture(echo: bool) -> (Logs, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        let logs = Logs::new(Arc::new(move |entries: &[Entry<'_>]| {
            for entry in entries {
                let line = entry.human();
                if echo {
                    eprintln!("{line}");
                }
                kept.lock().unwrap().push(line);
            }
        }));
        (logs, lines)
    }

    /// A line of the emulator's own (control characters in it, from a key or a message,
    /// escaped: one call is one line).
    pub fn info(&self, line: &str) {
        (self.sink)(&[Entry {
            source: Source::Emulator,
            function: None,
            request_id: None,
            message: &one_line(line),
        }]);
    }

    /// A line a function's worker printed.
    pub fn worker(&self, function: &str, request_id: Option<&str>, line: &str) {
        self.keep(function, request_id, [line]);
        (self.sink)(&[Entry {
            source: Source::Worker,
            function: Some(function),
            request_id,
            message: line,
        }]);
    }

    /// A platform line about a function (START, END, REPORT), prefixed with its name; about one
    /// of its invocations when `request_id` says which.
    pub fn platform(&self, function: &str, request_id: Option<&str>, line: &str) {
        self.platform_lines(function, request_id, &[line]);
    }

    /// Several platform lines about a function (and one of its invocations), written together.
    pub fn platform_lines<S: AsRef<str>>(
        &self,
        function: &str,
        request_id: Option<&str>,
        lines: &[S],
    ) {
        // Borrowed unless a line needs escaping: every invocation's END and REPORT pass here.
        let lines: Vec<std::borrow::Cow<'_, str>> =
            lines.iter().map(|l| one_line(l.as_ref())).collect();
        self.keep(function, request_id, lines.iter().map(AsRef::as_ref));
        let entries: Vec<Entry<'_>> = lines
            .iter()
            .map(|l| Entry {
                source: Source::Platform,
                function: Some(function),
                request_id,
                message: l,
            })
            .collect();
        (self.sink)(&entries);
    }

    /// The live feed of these lines and of each invocation, for the dashboard.
    pub(crate) fn live(&self) -> &super::live::Live {
        &self.live
    }

    /// Keeps `lines` among the function's recent ones, and sends each to the live feed.
    fn keep<'a>(
        &self,
        function: &str,
        request_id: Option<&str>,
        lines: impl IntoIterator<Item = &'a str>,
    ) {
        let now = chrono::Utc::now().timestamp_millis();
        let lines: Vec<&str> = lines.into_iter().collect();
        for line in &lines {
            let event = super::live::LogLine::new(now, function, request_id, line);
            self.live.publish("log", &event);
        }
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let kept = recent.entry(function.to_owned()).or_default();
        // A line costs its text and its entry (so empty and short lines count too).
        let cost = |line: &str| line.len() + std::mem::size_of::<(i64, String)>();
        for line in lines {
            kept.bytes += cost(line);
            kept.lines.push_back((now, line.to_owned()));
        }
        while kept.bytes > RECENT_BYTES {
            let Some((_, old)) = kept.lines.pop_front() else {
                break;
            };
            kept.bytes -= cost(&old);
        }
    }

    /// The recent lines of `function` logged from `start_ms` to `end_ms` (epoch ms), oldest first.
    pub fn recent(&self, function: &str, start_ms: i64, end_ms: i64) -> Vec<(i64, String)> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.get(function).map_or_else(Vec::new, |r| {
            r.lines
                .iter()
                .filter(|(t, _)| (start_ms..=end_ms).contains(t))
                .cloned()
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_lines_are_kept_per_function_within_their_bound() {
        let (logs, _) = Logs::capture(false);
        logs.worker("a", Some("req"), "{\"executionArn\": \"x\"}");
        logs.platform("a", Some("req"), "REPORT RequestId: req");
        logs.worker("b", None, "other");
        let a = logs.recent("a", 0, i64::MAX);
        let lines: Vec<&str> = a.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            lines,
            ["{\"executionArn\": \"x\"}", "REPORT RequestId: req"]
        );
        assert!(logs.recent("a", a[0].0 + 60_000, i64::MAX).is_empty());
        // Past the bound, the oldest lines go first.
        let big = "x".repeat(RECENT_BYTES / 2);
        logs.worker("a", None, &big);
        logs.worker("a", None, &big);
        let kept = logs.recent("a", 0, i64::MAX);
        assert_eq!(kept.len(), 1, "only the newest of the two large lines fits");
        assert_eq!(logs.recent("b", 0, i64::MAX).len(), 1);
        // Empty lines cost their entry: a flood of them is bounded too.
        for _ in 0..(RECENT_BYTES / 8) {
            logs.worker("c", None, "");
        }
        assert!(logs.recent("c", 0, i64::MAX).len() < RECENT_BYTES / 16);
    }

    #[test]
    fn text_from_outside_cannot_forge_a_second_log_line() {
        let (logs, lines) = Logs::capture(false);
        logs.info("fnkit-local: ObjectCreated:Put uploads/a\n[hello] REPORT RequestId: fake -> f");
        logs.platform(
            "hello",
            Some("r"),
            "REPORT RequestId: r\tDuration: 1.00 ms\r\x1b[2J",
        );
        let lines = lines.lock().unwrap().clone();
        assert_eq!(
            lines,
            [
                "fnkit-local: ObjectCreated:Put uploads/a\\n[hello] REPORT RequestId: fake -> f",
                "[hello] REPORT RequestId: r\tDuration: 1.00 ms\\r\\u{1b}[2J",
            ]
        );
    }
}

//! The emulator's log: worker output prefixed with function and request id, START / END /
//! REPORT lines as Lambda writes them, and the emulator's own notices. Goes to stdout by
//! default; embedders and tests can capture it.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

type Sink = dyn Fn(&[&str]) + Send + Sync;

/// Where log lines go.
#[derive(Clone)]
pub struct Logs(Arc<Sink>);

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

impl Logs {
    /// Lines to stdout.
    pub fn stdout() -> Logs {
        Logs(Arc::new(|lines: &[&str]| {
            // One write for all the lines of an invocation's end.
            let mut buffer = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
            for line in lines {
                buffer.push_str(line);
                buffer.push('\n');
            }
            let _ = std::io::stdout().lock().write_all(buffer.as_bytes());
        }))
    }

    /// Lines to a function of yours.
    pub fn to_fn(f: impl Fn(&str) + Send + Sync + 'static) -> Logs {
        Logs(Arc::new(move |lines: &[&str]| {
            lines.iter().for_each(|l| f(l))
        }))
    }

    /// Lines kept in memory (and echoed to stderr when `echo`), for tests.
    pub fn capture(echo: bool) -> (Logs, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        let logs = Logs(Arc::new(move |lines: &[&str]| {
            for line in lines {
                if echo {
                    eprintln!("{line}");
                }
                kept.lock().unwrap().push((*line).to_owned());
            }
        }));
        (logs, lines)
    }

    /// A line of the emulator's own.
    pub fn info(&self, line: &str) {
        (self.0)(&[line]);
    }

    /// A line a function's worker printed.
    pub fn worker(&self, function: &str, request_id: Option<&str>, line: &str) {
        match request_id {
            Some(id) => (self.0)(&[&format!("[{function} {id}] {line}")]),
            None => (self.0)(&[&format!("[{function}] {line}")]),
        }
    }

    /// A platform line about a function (START, END, REPORT), prefixed with its name.
    pub fn platform(&self, function: &str, line: &str) {
        (self.0)(&[&format!("[{function}] {line}")]);
    }

    /// Several platform lines about a function, written together.
    pub fn platform_lines(&self, function: &str, lines: &[String]) {
        let prefixed: Vec<String> = lines.iter().map(|l| format!("[{function}] {l}")).collect();
        let refs: Vec<&str> = prefixed.iter().map(String::as_str).collect();
        (self.0)(&refs);
    }
}

//! A worker's stdout and stderr: forwarded to the log line by line under the request in flight
//! (its START line first), kept for the caller when it asked for the log's tail, and settled on
//! demand: [`Output::settle`] returns once every line written so far has been handled. Bytes are
//! forwarded as they come: invalid UTF-8 is replaced, not a reason to stop reading (which would
//! break the worker's pipe), and a line longer than [`MAX_LINE`] is cut there and says so, the
//! rest of it skipped unread into memory.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot};

use crate::observe::logs::Logs;

/// The request in flight in an environment: its id, its START line until that is logged, and,
/// when the caller asked for the log's tail (`X-Amz-Log-Type: Tail`), the lines it wrote.
pub(super) struct Current {
    pub id: String,
    pub start: Option<String>,
    pub tail: Option<String>,
}

pub(super) type CurrentRequest = Mutex<Option<Current>>;

/// How long a settle waits for a forwarder at most (one stuck on a line without its newline).
const SETTLE_AT_MOST: Duration = Duration::from_secs(1);

/// The longest line forwarded, in bytes: CloudWatch Logs takes events of at most 256 KB.
pub(crate) const MAX_LINE: usize = 256 * 1024;

/// A line being read: its bytes so far (at most [`MAX_LINE`]), and whether it was cut.
#[derive(Debug, Default)]
struct Partial {
    bytes: Vec<u8>,
    cut: bool,
}

impl Partial {
    /// The line read, as text (invalid UTF-8 replaced; without its `\r`), marked when cut.
    fn take(&mut self) -> String {
        if self.bytes.last() == Some(&b'\r') {
            self.bytes.pop();
        }
        let mut line = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.cut {
            line.push_str(&format!(" [fnkit-local: line cut at {MAX_LINE} bytes]"));
        }
        self.bytes.clear();
        self.cut = false;
        line
    }
}

/// The next line of `reader`, or `None` at its end. Cancel-safe: each await is `fill_buf`, and
/// what was read before a cancel stays in `partial`.
async fn next_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    partial: &mut Partial,
) -> std::io::Result<Option<String>> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            // The end: a last line without its newline still counts.
            let nothing = partial.bytes.is_empty() && !partial.cut;
            return Ok((!nothing).then(|| partial.take()));
        }
        let newline = available.iter().position(|b| *b == b'\n');
        let chunk = &available[..newline.unwrap_or(available.len())];
        let room = MAX_LINE.saturating_sub(partial.bytes.len());
        partial.cut |= chunk.len() > room;
        partial
            .bytes
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = newline.map_or(available.len(), |n| n + 1);
        reader.consume(used);
        if newline.is_some() {
            return Ok(Some(partial.take()));
        }
    }
}

/// The forwarders of one worker, and a way to ask each whether it has caught up.
pub(super) struct Output {
    settle: Vec<mpsc::Sender<oneshot::Sender<()>>>,
}

impl Output {
    /// Starts a forwarder for each stream.
    pub fn forward(
        stdout: Option<tokio::process::ChildStdout>,
        stderr: Option<tokio::process::ChildStderr>,
        logs: &Logs,
        function: &str,
        current: &Arc<CurrentRequest>,
    ) -> Output {
        let mut settle = Vec::new();
        let mut start = |stream: Box<dyn AsyncRead + Send + Unpin>| {
            let (tx, rx) = mpsc::channel(4);
            settle.push(tx);
            let (logs, function, current) = (logs.clone(), function.to_owned(), current.clone());
            tokio::spawn(async move {
                forward(BufReader::new(stream), rx, &logs, &function, &current).await
            });
        };
        if let Some(out) = stdout {
            start(Box::new(out));
        }
        if let Some(err) = stderr {
            start(Box::new(err));
        }
        Output { settle }
    }

    /// Returns once each forwarder has handled every complete line the worker wrote so far (or
    /// its stream ended, or a second passed).
    pub async fn settle(&self) {
        for forwarder in &self.settle {
            let (done, handled) = oneshot::channel();
            if forwarder.send(done).await.is_ok() {
                let _ = tokio::time::timeout(SETTLE_AT_MOST, handled).await;
            }
        }
    }
}

/// Logs each line of `reader` under the request in flight. A settle request is answered only when
/// no complete line is waiting: the line branch is polled first, so the answer means the pipe
/// held nothing more to handle.
async fn forward<R: AsyncBufRead + Unpin>(
    mut reader: R,
    mut settle: mpsc::Receiver<oneshot::Sender<()>>,
    logs: &Logs,
    function: &str,
    current: &CurrentRequest,
) {
    let mut partial = Partial::default();
    loop {
        // `next_line` is cancel-safe: a line partly read stays in `partial` for the next poll.
        let line = tokio::select! {
            biased;
            line = next_line(&mut reader, &mut partial) => line,
            Some(done) = settle.recv() => {
                let _ = done.send(());
                continue;
            }
        };
        let Ok(Some(line)) = line else {
            return;
        };
        let (request, start) = match current.lock().unwrap().as_mut() {
            Some(c) => {
                if let Some(tail) = c.tail.as_mut() {
                    super::tail::keep(tail, &line);
                }
                (Some(c.id.clone()), c.start.take())
            }
            None => (None, None),
        };
        if let Some(start) = start {
            logs.platform(function, request.as_deref(), &start);
        }
        logs.worker(function, request.as_deref(), &line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines_of(bytes: &[u8]) -> Vec<String> {
        let mut reader = BufReader::new(bytes);
        let mut partial = Partial::default();
        let mut out = Vec::new();
        while let Some(line) = next_line(&mut reader, &mut partial).await.unwrap() {
            out.push(line);
        }
        out
    }

    #[tokio::test]
    async fn invalid_utf8_is_replaced_and_reading_goes_on() {
        let lines = lines_of(b"ok\n\xff\xfe bad\r\nafter\nlast").await;
        assert_eq!(lines, ["ok", "\u{fffd}\u{fffd} bad", "after", "last"]);
    }

    #[tokio::test]
    async fn a_line_longer_than_the_limit_is_cut_and_says_so() {
        let mut bytes = vec![b'x'; MAX_LINE * 3];
        bytes.extend_from_slice(b"\nnext\n");
        let lines = lines_of(&bytes).await;
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with(&"x".repeat(MAX_LINE)));
        assert!(
            lines[0].ends_with("[fnkit-local: line cut at 262144 bytes]"),
            "{}",
            &lines[0][MAX_LINE..]
        );
        assert_eq!(
            lines[0].len(),
            MAX_LINE + " [fnkit-local: line cut at 262144 bytes]".len()
        );
        assert_eq!(lines[1], "next");
    }
}

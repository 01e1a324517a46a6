//! A worker's stdout and stderr: forwarded to the log line by line under the request in flight
//! (its START line first), kept for the caller when it asked for the log's tail, and settled on
//! demand: [`Output::settle`] returns once every line written so far has been handled.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
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
async fn forward<R: tokio::io::AsyncBufRead + Unpin>(
    reader: R,
    mut settle: mpsc::Receiver<oneshot::Sender<()>>,
    logs: &Logs,
    function: &str,
    current: &CurrentRequest,
) {
    let mut lines = reader.lines();
    loop {
        // `next_line` is cancel-safe: a line partly read stays buffered for the next poll.
        let line = tokio::select! {
            biased;
            line = lines.next_line() => line,
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
            logs.platform(function, &start);
        }
        logs.worker(function, request.as_deref(), &line);
    }
}

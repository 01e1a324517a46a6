//! The live feed the dashboard streams from `/_fnkit/events` (server-sent events): each
//! invocation as it is recorded and each log line, as ready-made SSE frames that every reader
//! shares. The channel is bounded: a reader that falls behind misses the oldest frames and is
//! told how many (`event: lagged`); nothing ever waits for a reader, and with no reader nothing
//! is even serialised.

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::broadcast;

/// Frames kept for a reader that has not read them yet.
const BACKLOG: usize = 1024;
/// The longest log line the feed carries whole (a reader that stops reading then pins at most
/// about `BACKLOG` times this).
pub(crate) const LINE_AT_MOST: usize = 8 * 1024;

/// `line`, cut to [`LINE_AT_MOST`] bytes (at a character boundary) with what was cut said.
fn shortened(line: &str) -> std::borrow::Cow<'_, str> {
    if line.len() <= LINE_AT_MOST {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut cut = LINE_AT_MOST;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}… ({} more bytes)",
        &line[..cut],
        line.len() - cut
    ))
}

/// A log line as the feed carries it (`event: log`); built from borrowed parts, so a line costs
/// nothing when no reader listens.
#[derive(Debug, Serialize)]
pub(crate) struct LogLine<'a> {
    ts: i64,
    function: &'a str,
    request_id: Option<&'a str>,
    line: std::borrow::Cow<'a, str>,
}

impl<'a> LogLine<'a> {
    /// `line` of `function` (and of its invocation `request_id`), logged at `ts` (epoch ms).
    pub fn new(ts: i64, function: &'a str, request_id: Option<&'a str>, line: &'a str) -> Self {
        LogLine {
            ts,
            function,
            request_id,
            line: shortened(line),
        }
    }
}

/// The feed.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    tx: broadcast::Sender<Bytes>,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            tx: broadcast::Sender::new(BACKLOG),
        }
    }
}

impl Live {
    /// Sends `data` as an SSE event named `event` to every reader.
    pub fn publish(&self, event: &str, data: &impl Serialize) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        let _ = self.tx.send(frame(event, data));
    }

    /// A new reader, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Bytes> {
        self.tx.subscribe()
    }
}

/// One SSE frame: `event: <event>` and one `data:` line of JSON (which has no raw newline).
pub(crate) fn frame(event: &str, data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".to_owned());
    Bytes::from(format!("event: {event}\ndata: {json}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readers_get_frames_and_a_slow_one_is_told_what_it_missed() {
        let live = Live::default();
        live.publish("log", &"nobody listens");
        let mut rx = live.subscribe();
        live.publish("log", &serde_json::json!({"line": "a\nb"}));
        let got = rx.recv().await.unwrap();
        assert_eq!(&got[..], b"event: log\ndata: {\"line\":\"a\\nb\"}\n\n");
        for n in 0..BACKLOG + 5 {
            live.publish("log", &n);
        }
        match rx.recv().await {
            Err(broadcast::error::RecvError::Lagged(missed)) => assert_eq!(missed, 5),
            other => panic!("expected a lag, got {other:?}"),
        }
    }

    #[test]
    fn long_lines_are_cut_for_the_feed() {
        assert_eq!(shortened("short"), "short");
        let long = "é".repeat(LINE_AT_MOST);
        let cut = shortened(&long);
        assert!(cut.len() < LINE_AT_MOST + 40, "{}", cut.len());
        assert!(
            cut.ends_with(&format!("… ({} more bytes)", long.len() - LINE_AT_MOST)),
            "{}",
            &cut[cut.len() - 30..]
        );
    }
}

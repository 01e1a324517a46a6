//! The HTTP/1 accept loop both fronts run, fnkit's HTTP mode and the emulator: accept errors
//! back off instead of spinning, each request head is read under a timeout (which also closes
//! a kept-alive connection left idle), connections are capped, and every connection is watched
//! so a stop can wait for the requests in flight.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// How a front treats its connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a client may take to send a request's head. hyper starts this clock whenever it
    /// waits for a head, so a kept-alive connection left idle this long is closed too.
    pub header_timeout: Duration,
    /// Connections served at once. One more is answered `503 Service Unavailable` and closed,
    /// so a flood of idle connections cannot use up the descriptors the process needs for its
    /// own files, sockets and workers.
    pub max_connections: usize,
}

/// What the accept loop tells its owner about.
#[derive(Debug)]
pub enum Trouble<'a> {
    /// An accept failed (out of descriptors, say); the next is tried after `retry_in`.
    AcceptFailed {
        /// Why.
        error: &'a std::io::Error,
        /// The wait before the next accept.
        retry_in: Duration,
    },
    /// `max` connections are open: new ones are refused with `503` until one closes. Told once
    /// each time the cap is reached.
    Full {
        /// The cap.
        max: usize,
    },
}

/// What the log says; the cap is named by each front's setting (`--max-connections`,
/// `FNKIT_MAX_CONNECTIONS`).
impl std::fmt::Display for Trouble<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trouble::AcceptFailed { error, retry_in } => write!(
                f,
                "accept failed: {error}; retrying in {} ms",
                retry_in.as_millis()
            ),
            Trouble::Full { max } => write!(
                f,
                "{max} connections are open (the connection cap); new ones get 503 until one closes"
            ),
        }
    }
}

/// The answer to a connection over the cap.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 57\r\n\r\n{\"message\":\"Too many open connections; try again later.\"}";

/// How many refused connections are answered at once; past that they are closed unanswered.
const MOST_REFUSING: usize = 64;

/// Waits after failed accepts (out of file descriptors, say): 5 ms doubling to 1 s.
#[derive(Debug, Default)]
struct Backoff(u32);

impl Backoff {
    fn next(&mut self) -> Duration {
        let wait = Duration::from_millis(5 << self.0.min(8)).min(Duration::from_secs(1));
        self.0 += 1;
        wait
    }
}

/// Serves `handle` on `listener` until `stop` completes (any body: whole answers as
/// `Full<Bytes>`, streamed ones as a boxed body); returns the handle that waits for the
/// connections still open. `on_trouble` is told of each failed accept and each time the
/// connection cap is reached.
pub async fn serve_http1<F, Fut, B>(
    listener: TcpListener,
    limits: Limits,
    stop: impl Future,
    on_trouble: impl Fn(Trouble<'_>),
    handle: F,
) -> GracefulShutdown
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    let mut backoff = Backoff::default();
    // At least one, and no more than a semaphore holds (a larger number would panic).
    let most = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let open = Arc::new(Semaphore::new(most));
    let refusing = Arc::new(Semaphore::new(MOST_REFUSING));
    let mut full = false;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    let retry_in = backoff.next();
                    on_trouble(Trouble::AcceptFailed { error: &error, retry_in });
                    tokio::time::sleep(retry_in).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        backoff = Backoff::default();
        let Ok(slot) = open.clone().try_acquire_owned() else {
            if !std::mem::replace(&mut full, true) {
                on_trouble(Trouble::Full { max: most });
            }
            if let Ok(turn) = refusing.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(turn);
                });
            }
            continue;
        };
        full = false;
        let _ = stream.set_nodelay(true);
        let handle = handle.clone();
        let service = hyper::service::service_fn(move |req| {
            let answer = handle(req);
            async move { Ok::<_, Infallible>(answer.await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            // A zero timeout would close every connection before its first byte.
            .header_read_timeout(limits.header_timeout.max(Duration::from_secs(1)))
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    graceful
}

/// Answers a connection over the cap with [`BUSY`] and closes it. What the client sent is read
/// (for a second at most) after the answer: closing a socket with unread data resets it, and
/// the client would see the reset instead of the answer.
async fn refuse(mut stream: TcpStream) {
    let second = Duration::from_secs(1);
    let answered = async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut left = 64 * 1024;
        while left > 0 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => left -= n.min(left),
            }
        }
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(second, answered).await;
}

#[cfg(test)]
mod tests {
    use super::{Backoff, BUSY};
    use std::time::Duration;

    #[test]
    fn accept_back_off_doubles_to_a_second() {
        let mut b = Backoff::default();
        let waits: Vec<Duration> = (0..10).map(|_| b.next()).collect();
        assert_eq!(waits[0], Duration::from_millis(5));
        assert_eq!(waits[1], Duration::from_millis(10));
        assert_eq!(waits[7], Duration::from_millis(640));
        assert_eq!(waits[9], Duration::from_secs(1));
    }

    #[test]
    fn the_busy_answer_says_its_length() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.ends_with(&format!("Content-Length: {}", body.len())));
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}

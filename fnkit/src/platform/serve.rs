//! The HTTP/1 accept loop both fronts run, fnkit's HTTP mode and the emulator: accept errors
//! back off instead of spinning, each request head is read under a timeout, and every
//! connection is watched so a stop can wait for the requests in flight.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

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
/// connections still open. `on_accept_error` is told of each failed accept and the wait before
/// the next.
pub async fn serve_http1<F, Fut, B>(
    listener: TcpListener,
    header_timeout: Duration,
    stop: impl Future,
    on_accept_error: impl Fn(&std::io::Error, Duration),
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
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    let wait = backoff.next();
                    on_accept_error(&e, wait);
                    tokio::time::sleep(wait).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        backoff = Backoff::default();
        let _ = stream.set_nodelay(true);
        let handle = handle.clone();
        let service = hyper::service::service_fn(move |req| {
            let answer = handle(req);
            async move { Ok::<_, Infallible>(answer.await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    graceful
}

#[cfg(test)]
mod tests {
    use super::Backoff;
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
}

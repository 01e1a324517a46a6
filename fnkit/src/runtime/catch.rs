//! Turns a panic inside a handler's (or a cold-start set-up's) future into a `Runtime.Panic`
//! error, so the process keeps serving (the official runtime does the same; a dead worker would
//! cost a cold start) or reports its init error.

use std::future::Future;
use std::panic::{catch_unwind as catch, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Error;

pub(crate) struct CatchUnwind<F> {
    future: F,
    /// What panicked, for the message: "the handler", "a cold-start set-up".
    what: &'static str,
}

pub(crate) fn catch_unwind<F>(future: F, what: &'static str) -> CatchUnwind<F> {
    CatchUnwind { future, what }
}

impl<F, T> Future for CatchUnwind<F>
where
    F: Future<Output = Result<T, Error>> + Unpin,
{
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let what = self.what;
        let future = &mut self.future;
        match catch(AssertUnwindSafe(|| Pin::new(&mut *future).poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                Poll::Ready(Err(Error::new(
                    "Runtime.Panic",
                    format!("{what} panicked: {message}"),
                )))
            }
        }
    }
}

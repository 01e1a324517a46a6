//! Turns a panic inside a handler's future into a `Runtime.Panic` error, so the process keeps
//! serving (the official runtime does the same; a dead worker would cost a cold start).

use std::future::Future;
use std::panic::{catch_unwind as catch, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::registry::HandlerFuture;
use crate::Error;

pub(crate) struct CatchUnwind(HandlerFuture);

pub(crate) fn catch_unwind(future: HandlerFuture) -> CatchUnwind {
    CatchUnwind(future)
}

impl Future for CatchUnwind {
    type Output = Result<Vec<u8>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = &mut self.0;
        match catch(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "the handler panicked".to_owned());
                Poll::Ready(Err(Error::new(
                    "Runtime.Panic",
                    format!("the handler panicked: {message}"),
                )))
            }
        }
    }
}

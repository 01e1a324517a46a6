//! `GET /_fnkit/events`: the live feed as server-sent events, for the dashboard (or
//! `curl -N`). The build's state comes first and again on every change (`event: build`), then
//! each invocation as it is recorded (`invocation`: its ledger row) and each log line (`log`:
//! `ts`, `function`, `request_id` for a worker's line, `line`); `lagged` says how many a slow
//! reader missed, and a comment every 15 s keeps idle proxies from closing it. The stream ends
//! when the emulator stops, so draining never waits for it.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http::{HeaderValue, Response};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::{broadcast, watch};

use super::Front;
use crate::engine::gate::BuildState;
use crate::observe::live::frame;

/// How often an idle stream says it is alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// What one stream reads from.
struct Feed {
    first: Option<Bytes>,
    live: broadcast::Receiver<Bytes>,
    builds: watch::Receiver<BuildState>,
    stopping: watch::Receiver<bool>,
    beat: tokio::time::Interval,
}

type Item = Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>>;

/// The next frame of `feed`, or `None` when the stream is over.
async fn next(mut feed: Feed) -> Option<(Item, Feed)> {
    if let Some(first) = feed.first.take() {
        return Some((Ok(Frame::data(first)), feed));
    }
    let bytes = tokio::select! {
        _ = feed.stopping.wait_for(|stop| *stop) => return None,
        got = feed.live.recv() => match got {
            Ok(bytes) => bytes,
            Err(broadcast::error::RecvError::Lagged(missed)) => frame("lagged", &missed),
            Err(broadcast::error::RecvError::Closed) => return None,
        },
        changed = feed.builds.changed() => match changed {
            Ok(()) => frame("build", &*feed.builds.borrow_and_update()),
            Err(_) => return None,
        },
        _ = feed.beat.tick() => Bytes::from_static(b": keep-alive\n\n"),
    };
    Some((Ok(Frame::data(bytes)), feed))
}

/// The stream's answer.
pub(crate) fn stream(front: &Front) -> Response<crate::s3::BoxBody> {
    let mut builds = front.engine.builds.subscribe();
    let state = builds.borrow_and_update().clone();
    let mut first = b"retry: 2000\n\n".to_vec();
    first.extend_from_slice(&frame("build", &state));
    let mut beat = tokio::time::interval(KEEP_ALIVE);
    beat.reset();
    let feed = Feed {
        first: Some(Bytes::from(first)),
        live: front.engine.logs.live().subscribe(),
        builds,
        stopping: front.stopping.clone(),
        beat,
    };
    let body = StreamBody::new(stream::unfold(feed, next)).boxed_unsync();
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    response
}

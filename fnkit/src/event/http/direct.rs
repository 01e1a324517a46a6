//! The direct path of an HTTP function, for a server in the function's own process (the HTTP
//! mode): the request goes to the handler as the `http::Request` it arrived as, and the response
//! comes back as the `http::Response` the handler made, with no API Gateway payload written or
//! read on the way. A [`Direct`] in the invocation's extensions carries both; the decoder takes
//! the request out of it and the encoder leaves the response in it. A handler that takes the
//! platform's own event type ([`fnkit::raw`](crate::raw)) still gets the payload, written from
//! the request when it asks.

use std::sync::{Arc, Mutex, PoisonError};

use super::{HttpRequest, HttpResponse};

/// The request on its way in and the response on its way out, shared by the server and the
/// invocation (the invocation runs on its own task, so the server keeps a second handle).
#[derive(Clone)]
pub(crate) struct Direct(Arc<Mutex<Slots>>);

/// Writes a request as the platform's payload, given the route's key (the server's writer: this
/// module does not know the platform's formats).
pub(crate) type WritePayload = fn(&HttpRequest, Option<&str>) -> Vec<u8>;

struct Slots {
    request: Option<HttpRequest>,
    /// The route's key (`GET /hello/{name}`) and the writer, for a payload written on demand.
    route_key: Arc<str>,
    write: WritePayload,
    response: Option<HttpResponse>,
}

impl Direct {
    /// An exchange holding `request`, which matched the route `route_key`; `write` writes the
    /// payload for a handler that reads the platform's type.
    pub(crate) fn new(request: HttpRequest, route_key: Arc<str>, write: WritePayload) -> Direct {
        Direct(Arc::new(Mutex::new(Slots {
            request: Some(request),
            route_key,
            write,
            response: None,
        })))
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        // Held only to move a value in or out; a poisoned lock still holds sound values.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The request, once: the handler's decoder takes it.
    pub(crate) fn take_request(&self) -> Option<HttpRequest> {
        self.slots().request.take()
    }

    /// The request as the platform's payload, for a decoder that reads the platform's type
    /// instead of taking the request (which is gone afterwards), written outside the lock.
    pub(crate) fn payload(&self) -> Option<Vec<u8>> {
        let (request, route_key, write) = {
            let mut slots = self.slots();
            let request = slots.request.take()?;
            (request, slots.route_key.clone(), slots.write)
        };
        Some(write(&request, Some(&route_key)))
    }

    /// Leaves the handler's response for the server.
    pub(crate) fn put_response(&self, response: HttpResponse) {
        self.slots().response = Some(response);
    }

    /// The handler's response; `None` only if its encoder did not run.
    pub(crate) fn take_response(&self) -> Option<HttpResponse> {
        self.slots().response.take()
    }
}

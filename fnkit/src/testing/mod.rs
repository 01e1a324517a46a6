//! Unit-testing functions without starting anything: builders for every event type and for
//! [`Context`], and [`invoke`], which runs a registered function in-process through the same
//! decode → handler → encode path as production.
//!
//! Each builder gives the typed event (`build`), to call a handler directly, and the payload the
//! platform would send (`payload`), to go through [`invoke`]. Durable handlers (feature
//! `durable`) run in-process with time skipped through `durable::DurableTest`.
//!
//! ```
//! use fnkit::prelude::*;
//!
//! #[function(trigger = http(method = "GET", path = "/hello/{name}"))]
//! async fn hello(req: HttpRequest) -> String {
//!     format!("hello {}", req.path_param("name").unwrap_or("world"))
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // Directly: the fn is unchanged.
//! let req = fnkit::testing::http("GET", "/hello/ada").route("/hello/{name}").build();
//! assert_eq!(hello(req).await, "hello ada");
//!
//! // Through the production path: API Gateway v2 event in, v2 response out.
//! let req = fnkit::testing::http("GET", "/hello/bob").build();
//! let res = fnkit::testing::invoke_http("hello", req).await.unwrap();
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.body().to_str().unwrap(), "hello bob");
//! # });
//! ```

#[cfg(feature = "durable")]
pub mod durable;

use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::event::http::PathParams;
use crate::platform::{
    decode_response, to_eventbridge_event, to_s3_event, to_sqs_event, to_v2_event,
};
use crate::route::Route;
use crate::{
    Body, Context, ContextBuilder, Error, HttpRequest, HttpResponse, QueueBatch, QueueMessage,
    Runtime, ScheduleEvent, StorageChange, StorageEvent, StorageRecord,
};

/// A [`Context`] builder (the same as [`Context::builder`]).
pub fn context() -> ContextBuilder {
    Context::builder()
}

/// Invokes the registered function `name` with `payload` (the platform's JSON for its trigger)
/// and returns what it answered, as JSON.
pub async fn invoke(name: &str, payload: impl Serialize) -> Result<serde_json::Value, Error> {
    invoke_with(&Runtime::new(), name, payload).await
}

/// [`invoke`] with a runtime that carries state for `State<T>` arguments.
pub async fn invoke_with(
    runtime: &Runtime,
    name: &str,
    payload: impl Serialize,
) -> Result<serde_json::Value, Error> {
    let payload = serde_json::to_vec(&payload).map_err(Error::marshal)?;
    let timeout = crate::registry::find(name).map_or(3, |d| d.spec().timeout_secs);
    let context = Context::builder()
        .function_name(name)
        .timeout(Duration::from_secs(u64::from(timeout)))
        .build();
    let output = runtime.invoke(name, payload, context).await?;
    serde_json::from_slice(&output).map_err(|e| Error::unmarshal("the function's JSON answer", e))
}

/// Invokes the registered HTTP function `name` with `request`, sent as an API Gateway v2 event,
/// and decodes its answer.
pub async fn invoke_http(name: &str, request: HttpRequest) -> Result<HttpResponse, Error> {
    let route = crate::registry::find(name).and_then(|d| match &d.spec().trigger {
        crate::manifest::Trigger::Http { path, .. } => Some(path.to_string()),
        _ => None,
    });
    let answer = invoke(name, to_v2_event(&request, route.as_deref())).await?;
    decode_response(&serde_json::to_vec(&answer).map_err(Error::marshal)?)
}

/// An HTTP request builder: `http("POST", "/orders?dry=1").json(&order)`.
pub fn http(method: &str, uri: &str) -> HttpBuilder {
    HttpBuilder {
        method: method.to_owned(),
        uri: uri.to_owned(),
        headers: Vec::new(),
        body: Body::empty(),
        route: None,
    }
}

/// Builds an [`HttpRequest`] or its API Gateway v2 event.
#[derive(Debug, Clone)]
pub struct HttpBuilder {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Body,
    route: Option<String>,
}

impl HttpBuilder {
    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and `content-type: application/json`.
    #[must_use]
    pub fn json(self, value: &impl Serialize) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        self.header("content-type", "application/json").body(body)
    }

    /// The route the request matched, to fill path parameters: `/hello/{name}`.
    #[must_use]
    pub fn route(mut self, route: &str) -> Self {
        self.route = Some(route.to_owned());
        self
    }

    /// The request. An invalid method, URI or header is a test bug and panics.
    pub fn build(self) -> HttpRequest {
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(self.uri.as_str());
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        let mut request = builder.body(self.body).expect("a valid test request");
        if let Some(route) = &self.route {
            let params = Route::parse(route)
                .ok()
                .and_then(|r| r.matches(request.uri().path()))
                .unwrap_or_default();
            request.extensions_mut().insert(PathParams(params));
        }
        request
    }

    /// The API Gateway v2 event AWS would send for the request.
    pub fn payload(self) -> serde_json::Value {
        let route = self.route.clone();
        to_v2_event(&self.build(), route.as_deref())
    }
}

/// A storage event builder: `storage("uploads", "images/cat.png").size(1024)`.
pub fn storage(bucket: &str, key: &str) -> StorageBuilder {
    StorageBuilder {
        record: StorageRecord::new(bucket, key, StorageChange::Created),
    }
}

/// Builds a [`StorageEvent`] or its S3 notification.
#[derive(Debug, Clone)]
pub struct StorageBuilder {
    record: StorageRecord,
}

impl StorageBuilder {
    /// Sets the object's size.
    #[must_use]
    pub fn size(mut self, size: u64) -> Self {
        self.record.size = size;
        self
    }

    /// Sets the object's ETag.
    #[must_use]
    pub fn etag(mut self, etag: &str) -> Self {
        self.record.etag = Some(etag.to_owned());
        self
    }

    /// Makes it a deletion (`ObjectRemoved:Delete`).
    #[must_use]
    pub fn deleted(mut self) -> Self {
        self.record =
            StorageRecord::new(self.record.bucket, self.record.key, StorageChange::Deleted);
        self
    }

    /// The event.
    pub fn build(self) -> StorageEvent {
        StorageEvent::new(vec![self.record])
    }

    /// The S3 notification AWS would send (key URL-encoded).
    pub fn payload(self) -> serde_json::Value {
        to_s3_event(&[self.record])
    }
}

/// A queue batch builder: `queue("orders").message(&order).message(&other)`.
pub fn queue(name: &str) -> QueueBuilder {
    QueueBuilder {
        queue: name.to_owned(),
        messages: Vec::new(),
    }
}

/// Builds a [`QueueBatch`] or its SQS event.
#[derive(Debug, Clone)]
pub struct QueueBuilder {
    queue: String,
    messages: Vec<QueueMessage<String>>,
}

impl QueueBuilder {
    /// Adds a message with a JSON body and the id `msg-N`.
    #[must_use]
    pub fn message(self, body: &impl Serialize) -> Self {
        let id = format!("msg-{}", self.messages.len() + 1);
        self.message_with_id(&id, body)
    }

    /// Adds a message with a JSON body and the given id.
    #[must_use]
    pub fn message_with_id(self, id: &str, body: &impl Serialize) -> Self {
        self.raw_message(id, serde_json::to_string(body).unwrap_or_default())
    }

    /// Adds a message whose body is taken as is.
    #[must_use]
    pub fn raw_message(mut self, id: &str, body: impl Into<String>) -> Self {
        let mut message = QueueMessage::new(id, body.into());
        message.queue.clone_from(&self.queue);
        self.messages.push(message);
        self
    }

    /// The batch with bodies decoded as `T`. A body that does not decode is a test bug and panics.
    pub fn build<T: DeserializeOwned>(self) -> QueueBatch<T> {
        QueueBatch::new(
            self.messages
                .into_iter()
                .map(|m| QueueMessage {
                    body: serde_json::from_str(&m.body)
                        .or_else(|_| {
                            serde_json::from_value(serde_json::Value::String(m.body.clone()))
                        })
                        .expect("a test message body that decodes"),
                    id: m.id,
                    receive_count: m.receive_count,
                    queue: m.queue,
                    attributes: m.attributes,
                    message_attributes: m.message_attributes,
                })
                .collect(),
        )
    }

    /// The SQS event AWS would send.
    pub fn payload(self) -> serde_json::Value {
        to_sqs_event(&self.queue, &self.messages)
    }
}

/// A schedule event builder.
pub fn schedule() -> ScheduleBuilder {
    ScheduleBuilder {
        event: ScheduleEvent::new(crate::context::new_request_id(), SystemTime::now()),
    }
}

/// Builds a [`ScheduleEvent`] or its EventBridge event.
#[derive(Debug, Clone)]
pub struct ScheduleBuilder {
    event: ScheduleEvent,
}

impl ScheduleBuilder {
    /// Sets the firing time.
    #[must_use]
    pub fn time(mut self, time: SystemTime) -> Self {
        self.event.time = time;
        self
    }

    /// The event.
    pub fn build(self) -> ScheduleEvent {
        self.event
    }

    /// The EventBridge scheduled event AWS would send.
    pub fn payload(self) -> serde_json::Value {
        to_eventbridge_event(&self.event)
    }
}

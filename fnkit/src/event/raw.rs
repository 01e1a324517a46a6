//! The platform's own event types (from `aws_lambda_events`), for a handler that needs a field
//! fnkit's typed events do not surface: a queue function may take [`SqsEvent`], a storage
//! function [`S3Event`], a schedule function [`EventBridgeEvent`], an HTTP function
//! [`ApiGatewayV2httpRequest`] (API Gateway HTTP APIs and function URLs; it answers in the same
//! payload version).
//!
//! ```
//! use fnkit::prelude::*;
//! use fnkit::raw::SqsEvent;
//!
//! #[function(trigger = queue(name = "orders"))]
//! async fn audit(event: SqsEvent) -> BatchResult {
//!     for message in &event.records {
//!         let _sent_at = message.attributes.get("SentTimestamp");
//!     }
//!     BatchResult::default()
//! }
//! # fn main() {}
//! ```

pub use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
pub use aws_lambda_events::eventbridge::EventBridgeEvent;
pub use aws_lambda_events::s3::S3Event;
pub use aws_lambda_events::sqs::SqsEvent;
use serde::de::DeserializeOwned;

use super::http::direct::Direct;
use super::http::HttpShape;
use super::{parse_payload, trigger, FromEvent};
use crate::invocation::Invocation;
use crate::Error;

impl FromEvent<trigger::Queue> for SqsEvent {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        parse_payload(&invocation.payload, "an SQS event")
    }
}

impl FromEvent<trigger::Storage> for S3Event {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        parse_payload(&invocation.payload, "an S3 event notification")
    }
}

impl<T: DeserializeOwned + serde::Serialize> FromEvent<trigger::Schedule> for EventBridgeEvent<T> {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        parse_payload(&invocation.payload, "an EventBridge event")
    }
}

impl FromEvent<trigger::Http> for ApiGatewayV2httpRequest {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        invocation.extensions.insert(HttpShape::V2);
        let what = "an API Gateway HTTP API (payload 2.0) request";
        // On the direct path (the HTTP mode) the payload is written only for a handler that
        // reads it.
        match invocation
            .extensions
            .get::<Direct>()
            .and_then(Direct::payload)
        {
            Some(payload) => parse_payload(&payload, what),
            None => parse_payload(&invocation.payload, what),
        }
    }
}

//! The error a function returns: Lambda's `errorType` + `errorMessage`, and for HTTP functions an
//! optional status that turns it into a response instead of a failed invocation.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;
use serde::{Deserialize, Serialize};

/// An invocation error, shaped as the Lambda Runtime API reports it.
///
/// Any `std::error::Error` converts into it with `?`: its full type name becomes `errorType` (as
/// the official Rust runtime reports it), the message (with its chain of sources) `errorMessage`.
/// Build one directly with [`Error::new`]. A handler may also return `Result<T, E>` for any
/// other displayable `E` (`String`, `Box<dyn std::error::Error + Send + Sync>`, `anyhow::Error`):
/// the same shape, with `E`'s type name.
///
/// For HTTP functions an error that carries a [status](Error::with_status) becomes an HTTP response
/// with that status and a JSON body; one without a status fails the invocation, and the gateway
/// answers `502` as API Gateway does.
///
/// `Error` deliberately does not implement `std::error::Error` (as `anyhow::Error` does not), so
/// that the blanket `From` conversion can exist.
///
/// ```
/// use fnkit::Error;
///
/// let e = Error::new("OrderNotFound", "no order 42");
/// assert_eq!(e.error_type(), "OrderNotFound");
///
/// let parse: Error = "x".parse::<u32>().unwrap_err().into();
/// assert_eq!(parse.error_type(), "core::num::error::ParseIntError");
///
/// let http = Error::not_found("no such user");
/// assert_eq!(http.status(), Some(http::StatusCode::NOT_FOUND));
/// ```
pub struct Error {
    error_type: Cow<'static, str>,
    message: String,
    status: Option<StatusCode>,
}

/// The JSON body of an error, as `POST /runtime/invocation/{id}/error` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The error's kind, e.g. `Runtime.UnmarshalError` or the Rust type name.
    pub error_type: String,
    /// What went wrong, for a person.
    pub error_message: String,
    /// Lambda's optional stack trace; fnkit sends none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack_trace: Vec<String>,
}

impl Error {
    /// An error of the given type and message.
    pub fn new(error_type: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Error {
            error_type: error_type.into(),
            message: message.into(),
            status: None,
        }
    }

    /// Sets the HTTP status an HTTP function answers with when it returns this error.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// A `400 Bad Request` error for HTTP functions (`errorType` `BadRequest`).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::new("BadRequest", message).with_status(StatusCode::BAD_REQUEST)
    }

    /// A `404 Not Found` error for HTTP functions (`errorType` `NotFound`).
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new("NotFound", message).with_status(StatusCode::NOT_FOUND)
    }

    /// The error's kind (`errorType`).
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// The error's message (`errorMessage`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status, if one was set.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The error as the Runtime API's error body.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            error_type: self.error_type.to_string(),
            error_message: self.message.clone(),
            stack_trace: Vec::new(),
        }
    }

    /// The error as JSON bytes (`{"errorType": ..., "errorMessage": ...}`).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_body()).unwrap_or_default()
    }

    /// The error an event that cannot be decoded gets (`Runtime.UnmarshalError`).
    pub(crate) fn unmarshal(what: &str, detail: impl fmt::Display) -> Self {
        Error::new(
            "Runtime.UnmarshalError",
            format!("could not decode the event as {what}: {detail}"),
        )
    }

    /// The error a result that cannot be encoded gets (`Runtime.MarshalError`).
    pub(crate) fn marshal(detail: impl fmt::Display) -> Self {
        Error::new(
            "Runtime.MarshalError",
            format!("could not encode the function's result: {detail}"),
        )
    }
}

impl From<ErrorBody> for Error {
    fn from(body: ErrorBody) -> Self {
        Error::new(body.error_type, body.error_message)
    }
}

impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Error::new(std::any::type_name::<E>(), message)
    }
}

impl Error {
    /// An error a handler returned that is not a `std::error::Error` (a `String`, a
    /// `Box<dyn std::error::Error>`, an `anyhow::Error`): its full type name as `errorType`, as
    /// the official Rust runtime reports it, and its display with the chain of sources
    /// (`{:#}`, which is how `anyhow` shows its chain; a boxed error's sources are walked).
    pub(crate) fn from_display<E: fmt::Display + 'static>(error: E) -> Self {
        type Boxed = Box<dyn std::error::Error + Send + Sync>;
        let any: &dyn std::any::Any = &error;
        let source = match any.downcast_ref::<Boxed>() {
            Some(boxed) => boxed.source(),
            None => any
                .downcast_ref::<Box<dyn std::error::Error>>()
                .and_then(|b| b.source()),
        };
        let mut message = format!("{error:#}");
        let mut source = source;
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Error::new(std::any::type_name::<E>(), message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("error_type", &self.error_type)
            .field("message", &self.message);
        if let Some(status) = self.status {
            d.field("status", &status);
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn conversion_keeps_type_name_and_source_chain() {
        let e: Error = Outer(std::io::Error::other("inner")).into();
        assert_eq!(e.error_type(), "fnkit::error::tests::Outer");
        assert_eq!(e.message(), "outer: inner");
    }

    #[test]
    fn json_body_has_lambda_field_names() {
        let json: serde_json::Value =
            serde_json::from_slice(&Error::new("T", "m").to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"errorType": "T", "errorMessage": "m"})
        );
    }
}

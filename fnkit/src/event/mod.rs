//! The typed events, one per trigger, and the two traits that connect them to handlers:
//! [`FromEvent`] decodes a platform payload into the handler's event argument, [`Respond`]
//! encodes the handler's result into the payload the platform expects back.
//!
//! Both are parameterised by a trigger marker from [`trigger`], so the same Rust type can mean
//! different things to different triggers (any `Deserialize` type is an event for `event`
//! functions, `QueueBatch<T>` for queue functions), and a type that does not fit its trigger is a
//! compile error under the argument.

pub mod http;
pub mod json;
pub mod queue;
pub mod schedule;
pub mod storage;

use crate::invocation::Invocation;
use crate::Error;

/// Marker types naming each trigger in [`FromEvent`] and [`Respond`].
pub mod trigger {
    use crate::invocation::Invocation;
    use crate::Error;

    /// A trigger: how it names itself and what its functions' errors become.
    pub trait TriggerKind {
        /// The trigger's name in the manifest.
        const NAME: &'static str;

        /// What an `Err` returned by the handler becomes: by default a failed invocation.
        fn on_error(error: Error, _invocation: &Invocation) -> Result<Vec<u8>, Error> {
            Err(error)
        }
    }

    /// `trigger = http(...)`.
    #[derive(Debug)]
    pub struct Http;
    /// `trigger = storage(...)`.
    #[derive(Debug)]
    pub struct Storage;
    /// `trigger = queue(...)`.
    #[derive(Debug)]
    pub struct Queue;
    /// `trigger = schedule(...)`.
    #[derive(Debug)]
    pub struct Schedule;
    /// `trigger = event`, the default.
    #[derive(Debug)]
    pub struct Event;

    impl TriggerKind for Http {
        const NAME: &'static str = "http";
        fn on_error(error: Error, invocation: &Invocation) -> Result<Vec<u8>, Error> {
            super::http::error_response(error, invocation)
        }
    }
    impl TriggerKind for Storage {
        const NAME: &'static str = "storage";
    }
    impl TriggerKind for Queue {
        const NAME: &'static str = "queue";
    }
    impl TriggerKind for Schedule {
        const NAME: &'static str = "schedule";
    }
    impl TriggerKind for Event {
        const NAME: &'static str = "event";
    }
}

/// Decodes the invocation's payload into a handler's event argument for trigger `T`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event that this function's trigger delivers",
    label = "this event type does not fit the trigger",
    note = "http functions take `HttpRequest`, storage `StorageEvent`, queue `QueueBatch<T>`, schedule `ScheduleEvent`, and `event` functions any `T: serde::Deserialize`"
)]
pub trait FromEvent<T>: Sized {
    /// Decodes the payload; a payload of the wrong shape is a `Runtime.UnmarshalError`.
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error>;
}

/// Encodes what a handler returned into the payload trigger `T`'s platform expects.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not something this function's trigger can answer with",
    label = "unsupported return type for this trigger",
    note = "http functions return `HttpResponse`, `String`, `&'static str`, `Json<T>` or `StatusCode`; queue functions `BatchResult` or `()`; storage and schedule functions `()`; `event` functions any `T: serde::Serialize`"
)]
pub trait Respond<T> {
    /// Encodes the result.
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error>;
}

/// Encodes a handler's plain return value.
#[doc(hidden)]
pub fn respond_value<T, R: Respond<T>>(
    value: R,
    invocation: &Invocation,
) -> Result<Vec<u8>, Error> {
    value.respond(invocation)
}

/// Encodes a handler's `Result`, turning `Err` into what the trigger makes of errors.
#[doc(hidden)]
pub fn respond_result<T: trigger::TriggerKind, R: Respond<T>, E: Into<Error>>(
    result: Result<R, E>,
    invocation: &Invocation,
) -> Result<Vec<u8>, Error> {
    match result {
        Ok(value) => value.respond(invocation),
        Err(error) => T::on_error(error.into(), invocation),
    }
}

/// Parses the payload as JSON of type `D`, or a `Runtime.UnmarshalError` naming `what`.
pub(crate) fn parse_payload<D: serde::de::DeserializeOwned>(
    payload: &[u8],
    what: &str,
) -> Result<D, Error> {
    serde_json::from_slice(payload).map_err(|e| Error::unmarshal(what, e))
}

/// `()` answers with `null` wherever no answer is expected.
macro_rules! unit_responds {
    ($($t:ty),*) => {$(
        impl Respond<$t> for () {
            fn respond(self, _: &Invocation) -> Result<Vec<u8>, Error> {
                Ok(b"null".to_vec())
            }
        }
    )*};
}
unit_responds!(trigger::Storage, trigger::Schedule);

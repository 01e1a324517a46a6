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
pub mod raw;
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
    note = "http functions take `HttpRequest`, storage `StorageEvent`, queue `QueueBatch<T>`, schedule `ScheduleEvent` (or the platform's own type from `fnkit::raw`), and `event` functions any `T: serde::Deserialize`"
)]
pub trait FromEvent<T>: Sized {
    /// Decodes the payload; a payload of the wrong shape is a `Runtime.UnmarshalError`.
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error>;
}

/// Encodes what a handler returned into the payload trigger `T`'s platform expects.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not something this function's trigger can answer with",
    label = "unsupported return type for this trigger",
    note = "http functions return `HttpResponse`, `String`, `&'static str`, `Json<T>`, `StatusCode` or `(StatusCode, T)`; queue functions `BatchResult` or `()`; storage and schedule functions `()`; `event` functions any `T: serde::Serialize`"
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

/// Tells a handler's `Result` from a plain value by its type, not by its name, so a
/// `type Res<T> = Result<T, MyError>` alias is a `Result` too, and tells errors that convert into
/// [`Error`] (with their type and chain of sources) from those that only display (`String`,
/// `Box<dyn std::error::Error>`, `anyhow::Error`). Autoderef specialization: the generated code
/// calls `(&&&Returned(&out)).__fnkit_kind()`, and method lookup tries [`ResultKind`]
/// (`Result<R, E: Into<Error>>`) on `&&&Returned`, then [`DisplayResultKind`]
/// (`Result<R, E: Display>`) one dereference later, then [`ValueKind`] (anything).
///
/// [`ResultKind`]: returned::ResultKind
/// [`DisplayResultKind`]: returned::DisplayResultKind
/// [`ValueKind`]: returned::ValueKind
#[doc(hidden)]
pub mod returned {
    use std::fmt::Display;
    use std::marker::PhantomData;

    use super::{respond_result, respond_value, trigger::TriggerKind, Respond};
    use crate::invocation::Invocation;
    use crate::Error;

    /// What a handler returned, by reference, for the lookup.
    #[derive(Debug)]
    pub struct Returned<'a, T>(pub &'a T);

    /// The handler returned a `Result` whose error converts into [`Error`].
    #[derive(Debug)]
    pub struct ResultTag;
    /// The handler returned a `Result` whose error only displays.
    #[derive(Debug)]
    pub struct DisplayResultTag;
    /// The handler returned a plain value.
    #[derive(Debug)]
    pub struct ValueTag;

    /// Chosen first: a `Result` whose error is `Into<Error>`.
    pub trait ResultKind {
        /// The tag.
        fn __fnkit_kind(&self) -> ResultTag {
            ResultTag
        }
    }
    impl<R, E: Into<Error>> ResultKind for &&Returned<'_, Result<R, E>> {}

    /// Chosen next: any other `Result`; its error must then be `Display` ([`FunctionError`]).
    pub trait DisplayResultKind {
        /// The tag.
        fn __fnkit_kind(&self) -> DisplayResultTag {
            DisplayResultTag
        }
    }
    impl<R, E> DisplayResultKind for &Returned<'_, Result<R, E>> {}

    /// An error a handler may return besides one that converts into [`Error`].
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be a function's error",
        label = "neither a `std::error::Error` nor `Display`",
        note = "return `fnkit::Error`, any `std::error::Error + Send + Sync + 'static`, `String`, `Box<dyn std::error::Error + Send + Sync>` or `anyhow::Error`"
    )]
    pub trait FunctionError: Display + 'static {}
    impl<E: Display + 'static> FunctionError for E {}

    /// Chosen last: anything.
    pub trait ValueKind {
        /// The tag.
        fn __fnkit_kind(&self) -> ValueTag {
            ValueTag
        }
    }
    impl<T> ValueKind for Returned<'_, T> {}

    impl ResultTag {
        /// Names the trigger (by turbofish, so its `Respond` bound reads as the error).
        pub fn for_trigger<T>(self) -> ResultFor<T> {
            ResultFor(PhantomData)
        }
    }

    impl DisplayResultTag {
        /// Names the trigger (by turbofish, so its `Respond` bound reads as the error).
        pub fn for_trigger<T>(self) -> DisplayResultFor<T> {
            DisplayResultFor(PhantomData)
        }
    }

    impl ValueTag {
        /// Names the trigger (by turbofish, so its `Respond` bound reads as the error).
        pub fn for_trigger<T>(self) -> ValueFor<T> {
            ValueFor(PhantomData)
        }
    }

    /// A `Result` answered for trigger `T`.
    #[derive(Debug)]
    pub struct ResultFor<T>(PhantomData<T>);
    /// A `Result` with a displayable error answered for trigger `T`.
    #[derive(Debug)]
    pub struct DisplayResultFor<T>(PhantomData<T>);
    /// A plain value answered for trigger `T`.
    #[derive(Debug)]
    pub struct ValueFor<T>(PhantomData<T>);

    impl<T: TriggerKind> ResultFor<T> {
        /// Encodes the `Ok` value, or turns the `Err` into what trigger `T` makes of errors.
        pub fn respond<R: Respond<T>, E: Into<Error>>(
            self,
            result: Result<R, E>,
            invocation: &Invocation,
        ) -> Result<Vec<u8>, Error> {
            respond_result::<T, R, E>(result, invocation)
        }
    }

    impl<T: TriggerKind> DisplayResultFor<T> {
        /// Encodes the `Ok` value, or turns the `Err` (by its type name and display) into what
        /// trigger `T` makes of errors.
        pub fn respond<R: Respond<T>, E: FunctionError>(
            self,
            result: Result<R, E>,
            invocation: &Invocation,
        ) -> Result<Vec<u8>, Error> {
            let result = result.map_err(Error::from_display);
            respond_result::<T, R, Error>(result, invocation)
        }
    }

    impl<T> ValueFor<T> {
        /// Encodes the value.
        pub fn respond<R: Respond<T>>(
            self,
            value: R,
            invocation: &Invocation,
        ) -> Result<Vec<u8>, Error> {
            respond_value::<T, R>(value, invocation)
        }
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

//! One invocation on its way through a function: the payload, the [`Context`], the shared state,
//! and the extractors (`Context`, [`State`]) that handler arguments are taken from.
//!
//! What a trigger's decoder learns for its encoder (the HTTP payload shape a request came in,
//! the queue messages that did not decode) travels in the invocation's typed
//! [`Extensions`](http::Extensions), as axum carries per-request data: this module knows no
//! trigger.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::manifest::FunctionSpec;
use crate::{Context, Error};

/// Values shared by every invocation of a process, set once at start-up with
/// [`Runtime::state`](crate::Runtime::state).
#[derive(Default, Clone)]
pub struct StateMap(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl StateMap {
    /// Adds a value, replacing one of the same type.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// Whether a value of type `T` was added.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.0.contains_key(&TypeId::of::<T>())
    }

    /// The value of type `T`, if one was added.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|v| v.downcast::<T>().ok())
    }
}

impl fmt::Debug for StateMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateMap")
            .field("values", &self.0.len())
            .finish()
    }
}

/// One invocation: what the generated entry point decodes arguments from.
#[doc(hidden)]
pub struct Invocation {
    pub(crate) payload: Vec<u8>,
    pub(crate) context: Context,
    pub(crate) state: Arc<StateMap>,
    pub(crate) spec: &'static FunctionSpec,
    /// Per-trigger data a decoder leaves for the encoder, by type.
    pub(crate) extensions: http::Extensions,
}

impl Invocation {
    pub(crate) fn new(
        spec: &'static FunctionSpec,
        payload: Vec<u8>,
        context: Context,
        state: Arc<StateMap>,
    ) -> Self {
        Invocation {
            payload,
            context,
            state,
            spec,
            extensions: http::Extensions::new(),
        }
    }
}

impl fmt::Debug for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invocation")
            .field("function", &self.spec.name)
            .field("request_id", &self.context.request_id())
            .field("payload_bytes", &self.payload.len())
            .finish()
    }
}

/// A handler argument taken from the invocation rather than from the event.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be taken from an invocation",
    label = "not `Context` or `State<T>`",
    note = "a #[function] takes one event argument, plus `Context` and `State<T>` if it needs them"
)]
pub trait FromInvocation: Sized {
    /// Takes the argument from the invocation.
    fn from_invocation(invocation: &Invocation) -> Result<Self, Error>;

    /// Whether the process's state can ever give this argument; asked once at start-up, so a
    /// function missing its `State<T>` fails its environment's init, not its first call.
    /// `function` names the function, for the message.
    fn check_state(_state: &StateMap, _function: &str) -> Result<(), Error> {
        Ok(())
    }
}

impl FromInvocation for Context {
    fn from_invocation(invocation: &Invocation) -> Result<Self, Error> {
        Ok(invocation.context.clone())
    }
}

/// Shared state, set once per process with [`Runtime::state`](crate::Runtime::state) and
/// taken by any handler that names `State<T>` as an argument.
///
/// Cold-start work (database clients, configuration) belongs in `main`, once per worker:
///
/// ```no_run
/// use fnkit::prelude::*;
///
/// struct Config { greeting: String }
///
/// #[function]
/// async fn greet(name: String, config: State<Config>) -> String {
///     format!("{} {name}", config.greeting)
/// }
///
/// fn main() {
///     let config = Config { greeting: std::env::var("GREETING").unwrap_or("hello".into()) };
///     fnkit::Runtime::new().state(config).run()
/// }
/// ```
pub struct State<T>(pub Arc<T>);

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

impl<T: Send + Sync + 'static> FromInvocation for State<T> {
    fn from_invocation(invocation: &Invocation) -> Result<Self, Error> {
        invocation
            .state
            .get::<T>()
            .map(State)
            .ok_or_else(|| missing_state::<T>(&invocation.spec.name))
    }

    fn check_state(state: &StateMap, function: &str) -> Result<(), Error> {
        match state.contains::<T>() {
            true => Ok(()),
            false => Err(missing_state::<T>(function)),
        }
    }
}

fn missing_state<T>(function: &str) -> Error {
    Error::new(
        "Runtime.MissingState",
        format!(
            "function `{function}` takes State<{}>, but none was given; add it in main with fnkit::Runtime::new().state(value) (or .state_async(future))",
            std::any::type_name::<T>()
        ),
    )
}

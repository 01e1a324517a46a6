//! Cold-start set-up: the futures [`Runtime::state_async`](super::Runtime::state_async) and
//! [`Runtime::try_state_async`](super::Runtime::try_state_async) hold, run once per execution
//! environment on the runtime that then serves the handlers and before the first invocation is
//! fetched (so Lambda's Init Duration includes them), and the check that every function's
//! `State<T>` is there.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use crate::invocation::StateMap;
use crate::registry::FunctionDef;
use crate::Error;

/// Puts a set-up's value into the state.
type Store = Box<dyn FnOnce(&mut StateMap) + Send>;

/// One pending set-up.
pub(crate) type Setup = Pin<Box<dyn Future<Output = Result<Store, Error>> + Send>>;

/// A set-up that cannot fail.
pub(crate) fn infallible<T, F>(make: F) -> Setup
where
    T: Send + Sync + 'static,
    F: Future<Output = T> + Send + 'static,
{
    Box::pin(async move {
        let value = make.await;
        Ok(Box::new(move |state: &mut StateMap| state.insert(value)) as Store)
    })
}

/// A set-up that may fail; its error becomes the environment's init error, with the error's type
/// name as `errorType`.
pub(crate) fn fallible<T, E, F>(make: F) -> Setup
where
    T: Send + Sync + 'static,
    E: Display + 'static,
    F: Future<Output = Result<T, E>> + Send + 'static,
{
    Box::pin(async move {
        match make.await {
            Ok(value) => Ok(Box::new(move |state: &mut StateMap| state.insert(value)) as Store),
            Err(e) => Err(Error::new(
                std::any::type_name::<E>(),
                format!("cold-start set-up failed: {e}"),
            )),
        }
    })
}

/// Runs the set-ups in the order they were added, then checks that `served` find their state.
pub(crate) async fn prepare(
    mut state: StateMap,
    setups: Vec<Setup>,
    served: &[&'static FunctionDef],
) -> Result<StateMap, Error> {
    for setup in setups {
        let store = super::catch::catch_unwind(setup, "a cold-start set-up").await?;
        store(&mut state);
    }
    for def in served {
        def.check_state(&state)?;
    }
    Ok(state)
}

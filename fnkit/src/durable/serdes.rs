//! How an operation's value is written into its checkpoint and read back: JSON through serde by
//! default, or a [`Serdes`] of the user's for one operation (the SDKs' per-operation custom
//! serialisation). A value is always read back from what was written, on the first run as on a
//! replay, so both see the same value.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::DurableError;
use crate::Error;

/// A custom serialisation for one operation's value (a step's result, a condition's state, a
/// callback's result): the value as JSON in, the checkpoint's text out, and back.
///
/// ```
/// use fnkit::durable::Serdes;
/// use serde_json::Value;
///
/// /// Keeps strings upper-case in the checkpoint.
/// #[derive(Debug)]
/// struct Upper;
///
/// impl Serdes for Upper {
///     fn serialize(&self, value: Value) -> Result<String, fnkit::Error> {
///         let value = match value {
///             Value::String(s) => Value::String(s.to_uppercase()),
///             other => other,
///         };
///         Ok(value.to_string())
///     }
///     fn deserialize(&self, text: &str) -> Result<Value, fnkit::Error> {
///         Ok(serde_json::from_str(text)?)
///     }
/// }
/// assert_eq!(Upper.serialize(Value::from("hi")).unwrap(), "\"HI\"");
/// ```
pub trait Serdes: Send + Sync + std::fmt::Debug {
    /// The checkpoint's text for `value`.
    fn serialize(&self, value: Value) -> Result<String, Error>;
    /// The value of a checkpoint's `text`.
    fn deserialize(&self, text: &str) -> Result<Value, Error>;
}

fn serde_error(e: impl std::fmt::Display) -> DurableError {
    DurableError::Serde(e.to_string())
}

/// `value` as checkpoint text, through `serdes` when there is one.
pub(super) fn write<T: Serialize>(
    serdes: Option<&dyn Serdes>,
    value: &T,
) -> Result<String, DurableError> {
    match serdes {
        None => serde_json::to_string(value).map_err(serde_error),
        Some(s) => {
            let json = serde_json::to_value(value).map_err(serde_error)?;
            s.serialize(json).map_err(|e| serde_error(e.message()))
        }
    }
}

/// The value of checkpoint `text` (JSON `null` when there is none), through `serdes` when there
/// is one.
pub(super) fn read<T: DeserializeOwned>(
    serdes: Option<&dyn Serdes>,
    text: Option<&str>,
) -> Result<T, DurableError> {
    let text = text.filter(|t| !t.is_empty()).unwrap_or("null");
    match serdes {
        None => serde_json::from_str(text).map_err(serde_error),
        Some(s) => {
            let json = s.deserialize(text).map_err(|e| serde_error(e.message()))?;
            serde_json::from_value(json).map_err(serde_error)
        }
    }
}

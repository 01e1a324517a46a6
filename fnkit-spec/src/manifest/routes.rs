//! The route table of a manifest's HTTP functions, and why one could not be built.

use super::{FunctionSpec, ManifestError, Trigger};
use crate::route::{Route, RouteConflict, RouteEntry, RouteError, RouteTable};

/// Why a route table could not be built from function specs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutesError {
    /// A route is malformed.
    #[error("function `{function}`: {error}")]
    Route {
        /// The function.
        function: String,
        /// The problem.
        error: RouteError,
    },
    /// Two routes match the same requests.
    #[error(transparent)]
    Conflict(#[from] RouteConflict),
}

impl From<RoutesError> for ManifestError {
    fn from(e: RoutesError) -> ManifestError {
        match e {
            RoutesError::Route { function, error } => ManifestError::Function {
                function,
                place: "its attribute".to_owned(),
                problem: error.to_string(),
            },
            RoutesError::Conflict(c) => ManifestError::Routes(c),
        }
    }
}

/// The route table of the HTTP functions among `specs`.
pub fn route_table<'a>(
    specs: impl IntoIterator<Item = &'a FunctionSpec>,
) -> Result<RouteTable, RoutesError> {
    let mut entries = Vec::new();
    for spec in specs {
        if let Trigger::Http { method, path } = &spec.trigger {
            let route = Route::parse(path).map_err(|error| RoutesError::Route {
                function: spec.name.to_string(),
                error,
            })?;
            entries.push(RouteEntry {
                method: method.to_string(),
                route,
                function: spec.name.to_string(),
                source: spec.source.to_string(),
            });
        }
    }
    Ok(RouteTable::new(entries)?)
}

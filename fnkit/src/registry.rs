//! The functions registered with `#[function]` in this binary, collected with `inventory`.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use crate::invocation::{Invocation, StateMap};
use crate::manifest::{FunctionSpec, Manifest, MANIFEST_VERSION};
use crate::Error;

/// The future a registered function's entry point returns: the encoded result or an error.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Vec<u8>, Error>> + Send + 'static>>;

/// A registered function: its spec and its type-erased entry point (decode → handler → encode).
pub struct FunctionDef {
    spec: FunctionSpec,
    entry: fn(Invocation) -> HandlerFuture,
    check_state: fn(&StateMap) -> Result<(), Error>,
}

impl FunctionDef {
    #[doc(hidden)]
    pub const fn new(
        spec: FunctionSpec,
        entry: fn(Invocation) -> HandlerFuture,
        check_state: fn(&StateMap) -> Result<(), Error>,
    ) -> Self {
        FunctionDef {
            spec,
            entry,
            check_state,
        }
    }

    /// Whether `state` holds every `State<T>` the handler takes (`Runtime.MissingState` if not).
    pub fn check_state(&self, state: &StateMap) -> Result<(), Error> {
        (self.check_state)(state)
    }

    /// The function's name, trigger and limits.
    pub fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub(crate) fn call(&self, invocation: Invocation) -> HandlerFuture {
        (self.entry)(invocation)
    }
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionDef")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

inventory::collect!(FunctionDef);

/// Two registered functions share a name.
#[derive(Debug, thiserror::Error)]
#[error("two functions are named `{name}`: {first} and {second}; give one of them `#[function(name = \"...\")]`")]
pub struct DuplicateName {
    /// The shared name.
    pub name: String,
    /// Where the first is defined (`file:line`).
    pub first: String,
    /// Where the second is defined (`file:line`).
    pub second: String,
}

/// Every function registered in this binary, sorted by name, checked for duplicate names.
pub fn functions() -> Result<Vec<&'static FunctionDef>, DuplicateName> {
    let mut by_name: BTreeMap<&str, &'static FunctionDef> = BTreeMap::new();
    for def in inventory::iter::<FunctionDef> {
        if let Some(first) = by_name.insert(def.name(), def) {
            let key = |d: &FunctionDef| (d.spec.source.file.to_string(), d.spec.source.line);
            let (a, b) = if key(first) <= key(def) {
                (first, def)
            } else {
                (def, first)
            };
            let at = |d: &FunctionDef| format!("{}:{}", d.spec.source.file, d.spec.source.line);
            return Err(DuplicateName {
                name: def.name().to_owned(),
                first: at(a),
                second: at(b),
            });
        }
    }
    Ok(by_name.into_values().collect())
}

/// The registered function called `name`.
pub fn find(name: &str) -> Option<&'static FunctionDef> {
    inventory::iter::<FunctionDef>
        .into_iter()
        .find(|d| d.name() == name)
}

/// The manifest of every registered function.
pub fn manifest() -> Result<Manifest, DuplicateName> {
    Ok(Manifest {
        manifest_version: MANIFEST_VERSION,
        fnkit_version: env!("CARGO_PKG_VERSION").to_owned(),
        functions: functions()?.into_iter().map(|d| d.spec.clone()).collect(),
    })
}

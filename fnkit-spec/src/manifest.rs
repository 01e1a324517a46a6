//! The description of a binary's functions: what `#[function]` registers, and the versioned JSON
//! that `<binary> --fnkit-describe` prints for the emulator and the deploy targets.
//!
//! The same types serve both: the macro builds them in `const` context (strings are
//! `Cow::Borrowed`), and tools deserialize them from the JSON (owned strings). A manifest read
//! from a binary is checked with [`Manifest::check`] against the same rules the macro applies, so
//! nothing downstream indexes an unchecked field. The format is described in `docs/manifest.md`.

use std::borrow::Cow;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::names;
use crate::route::{self, Route, RouteConflict};
pub use crate::schedule::{Rate, RateUnit, ScheduleExpr};

mod routes;
pub use routes::{route_table, RoutesError};

/// The manifest format version this crate writes and reads.
pub const MANIFEST_VERSION: u32 = 1;

/// Timeouts Lambda accepts, in seconds.
pub const TIMEOUT_SECS: RangeInclusive<u32> = 1..=900;
/// Memory sizes Lambda accepts, in MB.
pub const MEMORY_MB: RangeInclusive<u32> = 128..=10_240;
/// Retries of a failed asynchronous invocation Lambda accepts.
pub const RETRIES: RangeInclusive<u32> = 0..=2;
/// An asynchronous event's maximum age in seconds (Lambda's `MaximumEventAgeInSeconds`).
pub const MAX_EVENT_AGE_SECS: RangeInclusive<u32> = 60..=21_600;
/// Lambda's default: six hours.
pub const DEFAULT_MAX_EVENT_AGE_SECS: u32 = 21_600;
/// Ephemeral storage (`/tmp`) sizes Lambda accepts, in MB.
pub const EPHEMERAL_MB: RangeInclusive<u32> = 512..=10_240;
/// Lambda's default `/tmp` size, in MB.
pub const DEFAULT_EPHEMERAL_MB: u32 = 512;
/// Reserved concurrency fnkit accepts.
pub const CONCURRENCY: RangeInclusive<u32> = 1..=100_000;
/// Batch sizes an SQS event source accepts.
pub const BATCH_SIZE: RangeInclusive<u32> = 1..=10_000;
/// Batching windows an SQS event source accepts, in milliseconds.
pub const WINDOW_MS: RangeInclusive<u32> = 0..=300_000;
/// Receives of a message before it moves to the dead-letter queue (SQS `maxReceiveCount`).
pub const MAX_RECEIVE_COUNT: RangeInclusive<u32> = 1..=1_000;
/// SQS requires a batching window of at least a second for batches over this size.
pub const BATCH_WITHOUT_WINDOW: u32 = 10;
/// The largest SQS message (body and attributes) and asynchronous invocation payload: 1 MiB
/// since January 2026 (256 KiB before).
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// The longest delay SQS allows a message, in seconds.
pub const MAX_DELAY_SECONDS: u64 = 900;

/// All functions of one binary, as `--fnkit-describe` prints them.
///
/// ```
/// let json = r#"{"manifest_version":1,"fnkit_version":"0.1.0","functions":[
///   {"name":"hello","trigger":{"type":"http","method":"GET","path":"/hello/{name}"},
///    "timeout_secs":5,"memory_mb":128,"concurrency":null,"retries":2,
///    "source":{"file":"src/main.rs","line":3,"module":"hello"}}]}"#;
/// let manifest: fnkit_spec::manifest::Manifest = serde_json::from_str(json).unwrap();
/// assert_eq!(manifest.functions[0].name, "hello");
/// manifest.check().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`] at the time of writing.
    pub manifest_version: u32,
    /// The fnkit version the binary was built with.
    pub fnkit_version: String,
    /// The registered functions, sorted by name.
    pub functions: Vec<FunctionSpec>,
}

/// One function: its name, trigger and limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionSpec {
    /// The function's name, unique in the binary (`_HANDLER` selects it on Lambda).
    pub name: Cow<'static, str>,
    /// What invokes it.
    pub trigger: Trigger,
    /// Timeout in whole seconds, 1 to 900.
    pub timeout_secs: u32,
    /// Memory size in MB, 128 to 10,240.
    pub memory_mb: u32,
    /// Reserved concurrency, if set.
    pub concurrency: Option<u32>,
    /// Retries of a failed asynchronous invocation, 0 to 2.
    pub retries: u32,
    /// How long an asynchronous event may wait (for a slot, or between retries) before it is
    /// dropped to the dead-letter store, in seconds: 60 to 21,600 (Lambda's default, 6 hours).
    #[serde(
        default = "default_max_event_age",
        skip_serializing_if = "is_default_max_event_age"
    )]
    pub max_event_age_secs: u32,
    /// Size of its `/tmp` in MB, 512 to 10,240 (Lambda's `EphemeralStorage`, default 512).
    #[serde(
        default = "default_ephemeral_mb",
        skip_serializing_if = "is_default_ephemeral_mb"
    )]
    pub ephemeral_mb: u32,
    /// Resources it uses besides its trigger (`uses = [bucket("reports")]`): the deploy
    /// template creates them, passes their names and grants access to them alone.
    #[serde(default, skip_serializing_if = "<[Resource]>::is_empty")]
    pub uses: Cow<'static, [Resource]>,
    /// Environment variables the function is given (`env = ["LOG_LEVEL=debug"]`), locally and
    /// in the deploy templates.
    #[serde(default, skip_serializing_if = "<[Variable]>::is_empty")]
    pub env: Cow<'static, [Variable]>,
    /// Set for a durable function (`durable(...)`): its executions are checkpointed and
    /// replayed by the durable execution service ([`crate::durable`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<crate::durable::DurableConfig>,
    /// Where the function is defined.
    pub source: Source,
}

/// An environment variable of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    /// Its name, one Lambda accepts ([`crate::env::check_name`]).
    pub name: Cow<'static, str>,
    /// Its value, taken as written.
    pub value: Cow<'static, str>,
}

/// A resource a function uses, by its logical name: a bucket it reads and writes, a queue it
/// sends to, a function it invokes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// A bucket, read and written.
    Bucket(Cow<'static, str>),
    /// A queue, sent to.
    Queue(Cow<'static, str>),
    /// A function, invoked.
    Function(Cow<'static, str>),
}

impl Resource {
    /// What it names and its logical name.
    pub fn parts(&self) -> (names::ResourceKind, &str) {
        match self {
            Resource::Bucket(n) => (names::ResourceKind::Bucket, n),
            Resource::Queue(n) => (names::ResourceKind::Queue, n),
            Resource::Function(n) => (names::ResourceKind::Function, n),
        }
    }

    /// Checks the name as the platform would.
    pub fn check(&self) -> Result<(), String> {
        let result = match self {
            Resource::Bucket(n) => names::bucket_name(n),
            Resource::Queue(n) => names::queue_name(n),
            Resource::Function(n) => names::function_name(n),
        };
        result.map_err(|e| e.to_string())
    }
}

fn default_max_event_age() -> u32 {
    DEFAULT_MAX_EVENT_AGE_SECS
}

fn is_default_max_event_age(secs: &u32) -> bool {
    *secs == DEFAULT_MAX_EVENT_AGE_SECS
}

fn default_ephemeral_mb() -> u32 {
    DEFAULT_EPHEMERAL_MB
}

fn is_default_ephemeral_mb(mb: &u32) -> bool {
    *mb == DEFAULT_EPHEMERAL_MB
}

impl FunctionSpec {
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        name: &'static str,
        trigger: Trigger,
        timeout_secs: u32,
        memory_mb: u32,
        concurrency: Option<u32>,
        retries: u32,
        file: &'static str,
        line: u32,
        module: &'static str,
    ) -> Self {
        FunctionSpec {
            name: Cow::Borrowed(name),
            trigger,
            timeout_secs,
            memory_mb,
            concurrency,
            retries,
            max_event_age_secs: DEFAULT_MAX_EVENT_AGE_SECS,
            ephemeral_mb: DEFAULT_EPHEMERAL_MB,
            uses: Cow::Borrowed(&[]),
            env: Cow::Borrowed(&[]),
            durable: None,
            source: Source {
                file: Cow::Borrowed(file),
                line,
                module: Cow::Borrowed(module),
            },
        }
    }

    /// The same function, using `uses` besides its trigger.
    #[doc(hidden)]
    pub const fn with_uses(mut self, uses: &'static [Resource]) -> Self {
        // A const fn cannot drop the old value; it comes from `new` (borrowed), so forgetting it
        // leaks nothing.
        let old = std::mem::replace(&mut self.uses, Cow::Borrowed(uses));
        std::mem::forget(old);
        self
    }

    /// The same function, its asynchronous events kept at most `secs` seconds.
    #[doc(hidden)]
    pub const fn with_max_event_age(mut self, secs: u32) -> Self {
        self.max_event_age_secs = secs;
        self
    }

    /// The same function, with a `/tmp` of `mb` MB.
    #[doc(hidden)]
    pub const fn with_ephemeral(mut self, mb: u32) -> Self {
        self.ephemeral_mb = mb;
        self
    }

    /// The same function, given the variables `env`.
    #[doc(hidden)]
    pub const fn with_env(mut self, env: &'static [Variable]) -> Self {
        // As in `with_uses`: the old value is borrowed.
        let old = std::mem::replace(&mut self.env, Cow::Borrowed(env));
        std::mem::forget(old);
        self
    }

    /// The same function, durable with `config`.
    #[doc(hidden)]
    pub const fn with_durable(mut self, config: crate::durable::DurableConfig) -> Self {
        self.durable = Some(config);
        self
    }

    /// Checks every field against the rules the macro applies.
    pub fn check(&self) -> Result<(), String> {
        for variable in self.env.iter() {
            crate::env::check_name(&variable.name).map_err(|e| e.to_string())?;
        }
        names::function_name(&self.name).map_err(|e| e.to_string())?;
        for resource in self.uses.iter() {
            resource.check()?;
        }
        within("timeout_secs", self.timeout_secs, TIMEOUT_SECS)?;
        within("memory_mb", self.memory_mb, MEMORY_MB)?;
        within("retries", self.retries, RETRIES)?;
        within(
            "max_event_age_secs",
            self.max_event_age_secs,
            MAX_EVENT_AGE_SECS,
        )?;
        within("ephemeral_mb", self.ephemeral_mb, EPHEMERAL_MB)?;
        if let Some(c) = self.concurrency {
            within("concurrency", c, CONCURRENCY)?;
        }
        if let Some(durable) = &self.durable {
            durable.check()?;
            if self.trigger != Trigger::Event {
                return Err("a durable function must have the `event` trigger".to_owned());
            }
        }
        self.trigger.check()
    }
}

fn within(field: &str, value: u32, range: RangeInclusive<u32>) -> Result<(), String> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "`{field}` is {value}; it must be from {} to {}",
            range.start(),
            range.end()
        ))
    }
}

/// Where a function is defined in the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file, relative to the crate's workspace.
    pub file: Cow<'static, str>,
    /// The line of the function's name.
    pub line: u32,
    /// The module path.
    pub module: Cow<'static, str>,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// What invokes a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// Invoked directly with any JSON payload.
    Event,
    /// An HTTP route.
    Http {
        /// Upper-case method, or `ANY`.
        method: Cow<'static, str>,
        /// The route: `/users/{id}`, `/files/{path+}`.
        path: Cow<'static, str>,
    },
    /// Objects created or deleted in a bucket.
    Storage {
        /// The bucket.
        bucket: Cow<'static, str>,
        /// Only keys starting with this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<Cow<'static, str>>,
        /// Only keys ending with this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suffix: Option<Cow<'static, str>>,
        /// Which changes fire it.
        events: StorageEvents,
    },
    /// Messages on a queue, in batches.
    Queue {
        /// The queue.
        name: Cow<'static, str>,
        /// The largest batch delivered at once.
        batch_size: u32,
        /// How long to gather a batch, in milliseconds.
        window_ms: u32,
        /// Deliveries of a message before it moves to the dead-letter queue.
        max_receive_count: u32,
    },
    /// A clock.
    Schedule(ScheduleExpr),
}

impl Trigger {
    /// `event`, `http`, `storage`, `queue` or `schedule`.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Event => "event",
            Trigger::Http { .. } => "http",
            Trigger::Storage { .. } => "storage",
            Trigger::Queue { .. } => "queue",
            Trigger::Schedule(_) => "schedule",
        }
    }

    /// Checks the trigger's fields against the rules the macro applies.
    pub fn check(&self) -> Result<(), String> {
        let text = |e: &dyn std::fmt::Display| e.to_string();
        match self {
            Trigger::Event => Ok(()),
            Trigger::Http { method, path } => {
                let normal = route::method(method).map_err(|e| text(&e))?;
                if normal != *method {
                    return Err(format!("method `{method}` must be written `{normal}`"));
                }
                Route::parse(path).map(|_| ()).map_err(|e| text(&e))
            }
            Trigger::Storage { bucket, .. } => names::bucket_name(bucket).map_err(|e| text(&e)),
            Trigger::Queue {
                name,
                batch_size,
                window_ms,
                max_receive_count,
            } => {
                names::queue_name(name).map_err(|e| text(&e))?;
                within("batch_size", *batch_size, BATCH_SIZE)?;
                within("window_ms", *window_ms, WINDOW_MS)?;
                within("max_receive_count", *max_receive_count, MAX_RECEIVE_COUNT)?;
                if *batch_size > BATCH_WITHOUT_WINDOW && *window_ms < 1000 {
                    return Err(format!("a batch_size of {batch_size} needs a window of 1s or more, as SQS requires for batches over {BATCH_WITHOUT_WINDOW}"));
                }
                Ok(())
            }
            Trigger::Schedule(expr) => expr.check().map_err(|e| text(&e)),
        }
    }
}

/// Which storage changes fire a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageEvents {
    /// Objects created or replaced (`ObjectCreated:*`).
    Created,
    /// Objects deleted (`ObjectRemoved:*`).
    Deleted,
    /// Both.
    All,
}

/// A manifest that breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// A format version this crate does not read.
    #[error("manifest version {found} is not {MANIFEST_VERSION}, the version this fnkit reads; rebuild the binary with the same fnkit version")]
    Version {
        /// The version found.
        found: u32,
    },
    /// A field of one function breaks a rule.
    #[error("function `{function}` ({place}): {problem}")]
    Function {
        /// The function.
        function: String,
        /// Where it is defined (`file:line`).
        place: String,
        /// What is wrong.
        problem: String,
    },
    /// Two functions share a name.
    #[error("two functions are named `{name}`: {first} and {second}; give one of them `#[function(name = \"...\")]`")]
    Duplicate {
        /// The name.
        name: String,
        /// Where the first is defined.
        first: String,
        /// Where the second is defined.
        second: String,
    },
    /// Two HTTP routes match the same requests.
    #[error(transparent)]
    Routes(#[from] RouteConflict),
}

impl Manifest {
    /// Checks the version, every function, unique names and the route table.
    pub fn check(&self) -> Result<(), ManifestError> {
        if self.manifest_version != MANIFEST_VERSION {
            return Err(ManifestError::Version {
                found: self.manifest_version,
            });
        }
        for (i, spec) in self.functions.iter().enumerate() {
            spec.check().map_err(|problem| ManifestError::Function {
                function: spec.name.to_string(),
                place: spec.source.to_string(),
                problem,
            })?;
            if let Some(first) = self.functions[..i].iter().find(|f| f.name == spec.name) {
                return Err(ManifestError::Duplicate {
                    name: spec.name.to_string(),
                    first: first.source.to_string(),
                    second: spec.source.to_string(),
                });
            }
        }
        route_table(&self.functions)?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;

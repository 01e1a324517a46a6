//! The description of a binary's functions: what `#[function]` registers, and the versioned JSON
//! that `<binary> --fnkit-describe` prints for the emulator and the deploy targets.
//!
//! The same types serve both: the macro builds them in `const` context (strings are
//! `Cow::Borrowed`), and tools deserialize them from the JSON (owned strings). The format is
//! described in `docs/manifest.md`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The manifest format version this crate writes and reads.
pub const MANIFEST_VERSION: u32 = 1;

/// All functions of one binary, as `--fnkit-describe` prints them.
///
/// ```
/// let json = r#"{"manifest_version":1,"fnkit_version":"0.1.0","functions":[
///   {"name":"hello","trigger":{"type":"http","method":"GET","path":"/hello/{name}"},
///    "timeout_secs":5,"memory_mb":128,"concurrency":null,"retries":2,
///    "source":{"file":"src/main.rs","line":3,"module":"hello"}}]}"#;
/// let manifest: fnkit::manifest::Manifest = serde_json::from_str(json).unwrap();
/// assert_eq!(manifest.functions[0].name, "hello");
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
    /// Where the function is defined.
    pub source: Source,
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
            source: Source {
                file: Cow::Borrowed(file),
                line,
                module: Cow::Borrowed(module),
            },
        }
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

/// When a scheduled function fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleExpr {
    /// A cron expression with a seconds field: `sec min hour day-of-month month day-of-week [year]`.
    Cron(Cow<'static, str>),
    /// An EventBridge rate: `5 minutes`, `1 hour`, `2 days`.
    Rate(Cow<'static, str>),
}

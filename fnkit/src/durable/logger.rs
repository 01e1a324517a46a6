//! A logger for durable code that knows about replay. A handler runs again from the top on every
//! invocation, so a plain `println!` before a recorded operation prints once per invocation;
//! [`DurableLogger`] leaves out what is written while the code replays operations it recorded
//! before (it was written the first time), as AWS's SDKs do (Python 3.0.0, `logger.py`).
//!
//! Lines are JSON objects on stdout, one per line, in the shape of Lambda's JSON log format
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`): `timestamp`, `level`, `message`, `requestId`, and the SDKs'
//! fields, `executionArn`, `operationId`, `operationName`, `parentId`, `attempt`. CloudWatch
//! Logs filters on them (`{ $.executionArn = "..." }`), and so does AWS's conformance validator.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::context::DurableContext;

/// How important a line is; lines below `AWS_LAMBDA_LOG_LEVEL` (or `FNKIT_LOG`; `INFO` when
/// neither is set) are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Details for debugging.
    Debug,
    /// What happened.
    Info,
    /// Something unexpected, handled.
    Warn,
    /// Something failed.
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    /// The least level written: the process's log level (`runtime::log::level`).
    pub(super) fn threshold() -> Level {
        use tracing::level_filters::LevelFilter;
        match crate::runtime::log::level() {
            f if f >= LevelFilter::DEBUG => Level::Debug,
            f if f >= LevelFilter::INFO => Level::Info,
            f if f >= LevelFilter::WARN => Level::Warn,
            _ => Level::Error,
        }
    }
}

/// Where a line was written: the operation (for a step's body) and its attempt.
#[derive(Debug, Clone, Default)]
pub(super) struct Operation {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) attempt: u32,
}

/// A replay-aware logger: [`DurableContext::logger`] for a handler or a child context's body,
/// [`StepContext::logger`](super::StepContext::logger) for a step's.
///
/// ```no_run
/// # use fnkit::durable::DurableContext;
/// # async fn f(ctx: DurableContext) -> Result<(), fnkit::durable::DurableError> {
/// ctx.logger().info("starting"); // written once, not again on each replay
/// let total: u32 = ctx
///     .step("sum", |step| async move {
///         step.logger().info(format_args!("attempt {}", step.attempt));
///         Ok(42)
///     })
///     .await?;
/// ctx.logger().info(format_args!("total {total}"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DurableLogger {
    ctx: DurableContext,
    operation: Option<Arc<Operation>>,
    during_replay: bool,
}

impl fmt::Debug for DurableLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DurableLogger")
            .field("operation", &self.operation)
            .field("during_replay", &self.during_replay)
            .finish_non_exhaustive()
    }
}

impl DurableLogger {
    pub(super) fn new(ctx: DurableContext, operation: Option<Operation>) -> DurableLogger {
        DurableLogger {
            ctx,
            operation: operation.map(Arc::new),
            during_replay: false,
        }
    }

    /// The same, writing during replay too: each invocation that runs the code writes its
    /// lines again (the SDKs' "replay logging", to see code run again on replay).
    pub fn with_replay_logging(mut self) -> DurableLogger {
        self.during_replay = true;
        self
    }

    /// Writes `message` at [`Level::Debug`].
    pub fn debug(&self, message: impl fmt::Display) {
        self.log(Level::Debug, message);
    }

    /// Writes `message` at [`Level::Info`].
    pub fn info(&self, message: impl fmt::Display) {
        self.log(Level::Info, message);
    }

    /// Writes `message` at [`Level::Warn`].
    pub fn warn(&self, message: impl fmt::Display) {
        self.log(Level::Warn, message);
    }

    /// Writes `message` at [`Level::Error`].
    pub fn error(&self, message: impl fmt::Display) {
        self.log(Level::Error, message);
    }

    /// Writes `message` at `level`, unless the level is below the threshold or the code is
    /// replaying (and replay logging is off).
    pub fn log(&self, level: Level, message: impl fmt::Display) {
        if !self.writes(level) {
            return;
        }
        let mut line = self.line(level, &message.to_string()).to_string();
        line.push('\n');
        // One write per line, so lines of concurrent tasks do not interleave.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
    }

    /// Whether a line at `level` is written now.
    pub(super) fn writes(&self, level: Level) -> bool {
        level >= Level::threshold() && (self.during_replay || !self.ctx.is_replaying())
    }

    /// The JSON object of one line.
    pub(super) fn line(&self, level: Level, message: &str) -> Value {
        let mut line = Map::new();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        line.insert("timestamp".into(), now.into());
        line.insert("level".into(), level.name().into());
        line.insert("message".into(), message.into());
        if let Some(request) = crate::context::current_request_id() {
            line.insert("requestId".into(), request.into());
        }
        line.insert("executionArn".into(), self.ctx.arn().into());
        if let Some(parent) = &self.ctx.parent {
            line.insert("parentId".into(), parent.clone().into());
        }
        if let Some(op) = &self.operation {
            line.insert("operationId".into(), op.id.clone().into());
            if !op.name.is_empty() {
                line.insert("operationName".into(), op.name.clone().into());
            }
            line.insert("attempt".into(), op.attempt.into());
        }
        Value::Object(line)
    }
}

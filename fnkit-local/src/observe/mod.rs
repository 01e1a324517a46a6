//! What the emulator tells its user while it runs: the log (platform lines and each worker's
//! output, prefixed with the function's name) and the live counters behind `/_fnkit/metrics` and
//! the summary printed at shutdown; and the live feed of both for the dashboard.

pub mod entry;
pub(crate) mod live;
pub mod logs;
pub(crate) mod metrics;

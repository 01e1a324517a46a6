//! The default log subscriber of a function process: plain lines on stderr, which the platform
//! collects, at the level of `AWS_LAMBDA_LOG_LEVEL` or `FNKIT_LOG` (default `info`). A subscriber
//! the author installed first wins. The level is read once, here, for every logger of the
//! process (the durable logger's too).

use std::sync::OnceLock;

use tracing::level_filters::LevelFilter;

pub(crate) fn init() {
    let _ = tracing_subscriber::fmt()
        .with_max_level(level())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The process's log level: `FNKIT_LOG`, else `AWS_LAMBDA_LOG_LEVEL` (whose `FATAL` is the
/// highest level here, `ERROR`), else `INFO`.
pub(crate) fn level() -> LevelFilter {
    static LEVEL: OnceLock<LevelFilter> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let text = std::env::var("FNKIT_LOG")
            .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
            .unwrap_or_default()
            .to_ascii_uppercase();
        match text.as_str() {
            "" => LevelFilter::INFO,
            "FATAL" => LevelFilter::ERROR,
            "WARNING" => LevelFilter::WARN,
            other => other.parse().unwrap_or(LevelFilter::INFO),
        }
    })
}

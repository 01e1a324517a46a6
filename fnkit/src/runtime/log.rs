//! The default log subscriber of a function process: plain lines on stderr, which the platform
//! collects, at the level of `AWS_LAMBDA_LOG_LEVEL` or `FNKIT_LOG` (default `info`). A subscriber
//! the author installed first wins.

use tracing::level_filters::LevelFilter;

pub(crate) fn init() {
    let level = std::env::var("FNKIT_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .ok()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

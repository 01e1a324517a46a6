//! Names as the platforms accept them: functions (Lambda), buckets (S3) and queues (SQS). The
//! macro checks them at compile time, the emulator checks them again on names that arrive at run
//! time (uploads, queue sends, manifests read from binaries), with the same words.

/// A name the platform would refuse. The message is what the user sees, under the literal in a
/// compile error or in an HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// A function name.
    #[error("function name `{0}` must be 1 to 64 letters, digits, `-` or `_`, as Lambda accepts")]
    Function(String),
    /// A bucket name.
    #[error("bucket `{0}` is not a valid bucket name; use 3 to 63 lower-case letters, digits, `.` or `-`, starting and ending with a letter or digit")]
    Bucket(String),
    /// A queue name.
    #[error("queue `{0}` is not a valid queue name; use 1 to 80 letters, digits, `-` or `_`")]
    Queue(String),
}

/// A function name as Lambda accepts it: 1 to 64 letters, digits, `-` and `_`.
///
/// ```
/// assert!(fnkit_spec::names::function_name("resize-image_2").is_ok());
/// assert!(fnkit_spec::names::function_name("résumé").is_err());
/// ```
pub fn function_name(text: &str) -> Result<(), NameError> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(())
        .ok_or_else(|| NameError::Function(text.to_owned()))
}

/// A bucket name as S3 accepts it: 3 to 63 lower-case letters, digits, `.` and `-`, starting and
/// ending with a letter or digit.
pub fn bucket_name(text: &str) -> Result<(), NameError> {
    let ok = (3..=63).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric());
    ok.then_some(())
        .ok_or_else(|| NameError::Bucket(text.to_owned()))
}

/// A queue name as SQS accepts it: 1 to 80 letters, digits, `-` and `_` (`.fifo` may end it).
pub fn queue_name(text: &str) -> Result<(), NameError> {
    let stem = text.strip_suffix(".fifo").unwrap_or(text);
    let ok = !stem.is_empty()
        && text.len() <= 80
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(())
        .ok_or_else(|| NameError::Queue(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names() {
        assert!(function_name("a").is_ok());
        assert!(function_name(&"a".repeat(64)).is_ok());
        assert!(function_name(&"a".repeat(65)).is_err());
        assert!(function_name("").is_err());
        assert!(function_name("a.b").is_err());
    }

    #[test]
    fn bucket_names() {
        assert!(bucket_name("uploads").is_ok());
        assert!(bucket_name("my.bucket-1").is_ok());
        assert!(bucket_name("ab").is_err());
        assert!(bucket_name("Uploads").is_err());
        assert!(bucket_name("-uploads").is_err());
        assert!(bucket_name("uploads.").is_err());
        assert!(bucket_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn queue_names() {
        assert!(queue_name("orders").is_ok());
        assert!(queue_name("orders.fifo").is_ok());
        assert!(queue_name(".fifo").is_err());
        assert!(queue_name("orders!").is_err());
        assert!(queue_name(&"q".repeat(81)).is_err());
    }
}

/// What a logical resource name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// A bucket (S3).
    Bucket,
    /// A queue (SQS).
    Queue,
    /// A function (Lambda).
    Function,
}

/// The environment variable through which a deployment gives a function the physical name of a
/// resource it names logically (`bucket = "reports"` in an attribute): `FNKIT_BUCKET_REPORTS`,
/// `FNKIT_QUEUE_ORDERS_OUT`, `FNKIT_FUNCTION_WORD_COUNT` (upper case; `-` and `.` become `_`).
/// The deploy templates set these; `fnkit::resource` reads them; where one is unset (under the
/// emulator), the logical name is the physical one.
///
/// ```
/// use fnkit_spec::names::{resource_variable, ResourceKind};
/// assert_eq!(resource_variable(ResourceKind::Bucket, "my-reports.v2"), "FNKIT_BUCKET_MY_REPORTS_V2");
/// ```
pub fn resource_variable(kind: ResourceKind, logical: &str) -> String {
    let prefix = match kind {
        ResourceKind::Bucket => "FNKIT_BUCKET_",
        ResourceKind::Queue => "FNKIT_QUEUE_",
        ResourceKind::Function => "FNKIT_FUNCTION_",
    };
    let name: String = logical
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    format!("{prefix}{name}")
}

/// The alias the deploy template publishes for every function (SAM's `AutoPublishAlias`), which
/// event sources invoke; the emulator resolves it to the running build.
pub const ALIAS: &str = "live";

/// The dead-letter queue of queue `name` in the emulator: `<name>-dlq`, where messages go after
/// the trigger's `max_receive_count` deliveries (the deploy template creates its own).
pub fn dead_letter_queue(name: &str) -> String {
    format!("{name}-dlq")
}

//! The invocation context: who is being invoked, for which request, and until when.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the platform says about one invocation: request id, function, memory, deadline.
///
/// The deadline is an absolute time, read from the Runtime API's `Lambda-Runtime-Deadline-Ms`
/// (Unix epoch milliseconds), so [`remaining_time`](Context::remaining_time) is true wherever the
/// function runs. Cloning is cheap.
///
/// Tests build one with [`Context::builder`]:
///
/// ```
/// use std::time::Duration;
/// let ctx = fnkit::Context::builder()
///     .function_name("hello")
///     .timeout(Duration::from_secs(5))
///     .build();
/// assert_eq!(ctx.function_name(), "hello");
/// assert!(ctx.remaining_time() <= Duration::from_secs(5));
/// ```
#[derive(Clone)]
pub struct Context(Arc<Inner>);

tokio::task_local! {
    /// The request id of the invocation the current task runs (set around each handler call),
    /// for code that is not handed the [`Context`], such as the durable logger.
    static REQUEST_ID: Arc<str>;
}

/// Runs `future` as the invocation `request_id`'s: [`current_request_id`] gives it inside.
pub(crate) async fn with_request_id<F: std::future::Future>(
    request_id: &str,
    future: F,
) -> F::Output {
    REQUEST_ID.scope(Arc::from(request_id), future).await
}

/// The request id of the invocation this task runs, if it runs one.
#[cfg_attr(not(feature = "durable"), allow(dead_code))]
pub(crate) fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.to_string()).ok()
}

#[derive(Clone)]
struct Inner {
    request_id: String,
    function_name: String,
    function_version: String,
    memory_limit_mb: u32,
    deadline: SystemTime,
    invoked_function_arn: String,
    trace_id: Option<String>,
    client_context: Option<String>,
    identity: Option<String>,
}

impl Context {
    /// A builder with test defaults: a fresh request id, function `test`, version `$LATEST`,
    /// 128 MB, and a deadline 3 s from now.
    pub fn builder() -> ContextBuilder {
        ContextBuilder::default()
    }

    /// The request id (`Lambda-Runtime-Aws-Request-Id`).
    pub fn request_id(&self) -> &str {
        &self.0.request_id
    }

    /// The function's name.
    pub fn function_name(&self) -> &str {
        &self.0.function_name
    }

    /// The function's version (`$LATEST` locally).
    pub fn function_version(&self) -> &str {
        &self.0.function_version
    }

    /// The memory size configured for the function, in MB.
    pub fn memory_limit_mb(&self) -> u32 {
        self.0.memory_limit_mb
    }

    /// When the platform stops the invocation.
    pub fn deadline(&self) -> SystemTime {
        self.0.deadline
    }

    /// Time left until the deadline; zero once it has passed.
    pub fn remaining_time(&self) -> Duration {
        self.0
            .deadline
            .duration_since(SystemTime::now())
            .unwrap_or_default()
    }

    /// The ARN the function was invoked with (`Lambda-Runtime-Invoked-Function-Arn`).
    pub fn invoked_function_arn(&self) -> &str {
        &self.0.invoked_function_arn
    }

    /// The X-Ray trace id (`Lambda-Runtime-Trace-Id`), when the platform sent one.
    pub fn trace_id(&self) -> Option<&str> {
        self.0.trace_id.as_deref()
    }

    /// The client context JSON (`Lambda-Runtime-Client-Context`), when sent.
    pub fn client_context(&self) -> Option<&str> {
        self.0.client_context.as_deref()
    }

    /// The Cognito identity JSON (`Lambda-Runtime-Cognito-Identity`), when sent.
    pub fn identity(&self) -> Option<&str> {
        self.0.identity.as_deref()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("request_id", &self.0.request_id)
            .field("function_name", &self.0.function_name)
            .field("memory_limit_mb", &self.0.memory_limit_mb)
            .field("remaining_time", &self.remaining_time())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Context`]; the runtime uses it for real invocations and tests for made-up ones.
#[derive(Debug, Clone)]
pub struct ContextBuilder {
    request_id: Option<String>,
    function_name: String,
    function_version: String,
    memory_limit_mb: u32,
    deadline: Option<SystemTime>,
    invoked_function_arn: Option<String>,
    trace_id: Option<String>,
    client_context: Option<String>,
    identity: Option<String>,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        ContextBuilder {
            request_id: None,
            function_name: "test".to_owned(),
            function_version: "$LATEST".to_owned(),
            memory_limit_mb: 128,
            deadline: None,
            invoked_function_arn: None,
            trace_id: None,
            client_context: None,
            identity: None,
        }
    }
}

impl ContextBuilder {
    /// Sets the request id.
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the function name.
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = name.into();
        self
    }

    /// Sets the function version.
    pub fn function_version(mut self, version: impl Into<String>) -> Self {
        self.function_version = version.into();
        self
    }

    /// Sets the memory size in MB.
    pub fn memory_limit_mb(mut self, mb: u32) -> Self {
        self.memory_limit_mb = mb;
        self
    }

    /// Sets the deadline as an absolute time.
    pub fn deadline(mut self, deadline: SystemTime) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the deadline from Unix epoch milliseconds, as `Lambda-Runtime-Deadline-Ms` gives it.
    pub fn deadline_epoch_ms(self, ms: u64) -> Self {
        self.deadline(UNIX_EPOCH + Duration::from_millis(ms))
    }

    /// Sets the deadline to `timeout` from now.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.deadline(SystemTime::now() + timeout)
    }

    /// Sets the invoked function ARN.
    pub fn invoked_function_arn(mut self, arn: impl Into<String>) -> Self {
        self.invoked_function_arn = Some(arn.into());
        self
    }

    /// Sets the trace id.
    pub fn trace_id(mut self, id: impl Into<String>) -> Self {
        self.trace_id = Some(id.into());
        self
    }

    /// Sets the client context JSON.
    pub fn client_context(mut self, json: impl Into<String>) -> Self {
        self.client_context = Some(json.into());
        self
    }

    /// Sets the Cognito identity JSON.
    pub fn identity(mut self, json: impl Into<String>) -> Self {
        self.identity = Some(json.into());
        self
    }

    /// The context.
    pub fn build(self) -> Context {
        let arn = self.invoked_function_arn.unwrap_or_else(|| {
            format!(
                "arn:aws:lambda:us-east-1:000000000000:function:{}",
                self.function_name
            )
        });
        Context(Arc::new(Inner {
            request_id: self.request_id.unwrap_or_else(new_request_id),
            function_name: self.function_name,
            function_version: self.function_version,
            memory_limit_mb: self.memory_limit_mb,
            deadline: self
                .deadline
                .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(3)),
            invoked_function_arn: arn,
            trace_id: self.trace_id,
            client_context: self.client_context,
            identity: self.identity,
        }))
    }
}

/// A request id as Lambda's: a random UUID v4.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::new_request_id;

    #[test]
    fn request_ids_are_random_uuid_v4() {
        let ids: Vec<String> = (0..64).map(|_| new_request_id()).collect();
        for id in &ids {
            assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
        }
        // The old generator kept the process id and the clock's high bits in fixed places, so
        // ids of one process shared their first groups; random ids do not.
        let first: std::collections::HashSet<&str> =
            ids.iter().map(|id| id.split('-').next().unwrap()).collect();
        assert!(first.len() > 32, "{first:?}");
    }
}

//! The durable execution API's JSON, as botocore's `lambda` model (2025-12-01) names it: the
//! operations of an execution and the updates a handler checkpoints, the envelope of a durable
//! invocation and its answer. Members are PascalCase; absent ones are left out; unknown ones are
//! ignored when read (newer SDKs send members an older model lacks, e.g. `XAmznTraceId`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time in epoch milliseconds. Written as an integer (the envelope's form); read from an
/// integer or a float of either unit: a value under 10^11 is taken as seconds (the REST API's
/// rest-json timestamps), since 10^11 ms is in 1973.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub i64);

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Ok(Millis(if v.abs() < 1e11 {
            (v * 1000.0).round() as i64
        } else {
            v.round() as i64
        }))
    }
}

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $text)] $variant),* }
        impl $name {
            /// The name on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            /// The value named `s` on the wire.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// What an operation is (`OperationType`).
    OperationType {
        /// The execution itself; its id is the ARN's last segment.
        Execution = "EXECUTION",
        /// A child context (also map, parallel and their branches).
        Context = "CONTEXT",
        /// A step.
        Step = "STEP",
        /// A wait.
        Wait = "WAIT",
        /// A callback from outside.
        Callback = "CALLBACK",
        /// An invocation of another function.
        ChainedInvoke = "CHAINED_INVOKE",
    }
);

wire_enum!(
    /// What an update does (`OperationAction`).
    OperationAction {
        /// Begins the operation.
        Start = "START",
        /// Ends it with a result.
        Succeed = "SUCCEED",
        /// Ends it with an error.
        Fail = "FAIL",
        /// A step attempt failed (or a condition is not met yet): try again later.
        Retry = "RETRY",
        /// Cancels it.
        Cancel = "CANCEL",
    }
);

wire_enum!(
    /// Where an operation is (`OperationStatus`).
    OperationStatus {
        /// Running.
        Started = "STARTED",
        /// A step waiting for its next attempt.
        Pending = "PENDING",
        /// A step whose next attempt is due.
        Ready = "READY",
        /// Ended with a result.
        Succeeded = "SUCCEEDED",
        /// Ended with an error.
        Failed = "FAILED",
        /// Cancelled.
        Cancelled = "CANCELLED",
        /// Ran out of time.
        TimedOut = "TIMED_OUT",
        /// Stopped from outside.
        Stopped = "STOPPED",
    }
);

impl OperationStatus {
    /// Whether the operation has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            OperationStatus::Started | OperationStatus::Pending | OperationStatus::Ready
        )
    }
}

wire_enum!(
    /// Where an execution is (`ExecutionStatus`).
    ExecutionStatus {
        /// Not ended.
        Running = "RUNNING",
        /// Ended with a result.
        Succeeded = "SUCCEEDED",
        /// Ended with an error.
        Failed = "FAILED",
        /// Ran past its execution timeout.
        TimedOut = "TIMED_OUT",
        /// Stopped with `StopDurableExecution`.
        Stopped = "STOPPED",
    }
);

wire_enum!(
    /// What one invocation of a durable handler answers (`Status` of its output).
    InvocationStatus {
        /// The execution ended with a result.
        Succeeded = "SUCCEEDED",
        /// The execution ended with an error.
        Failed = "FAILED",
        /// The execution is suspended: invoke it again when something it waits for happens.
        Pending = "PENDING",
    }
);

/// An error (`ErrorObject`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorObject {
    /// Its type, e.g. `Callback.Timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// Its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Serialised data of the SDK's choosing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<String>,
    /// Where it was raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_trace: Option<Vec<String>>,
}

impl ErrorObject {
    /// An error of `error_type` saying `message`.
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorObject {
            error_type: Some(error_type.into()),
            error_message: Some(message.into()),
            ..ErrorObject::default()
        }
    }
}

/// Declares a struct of optional PascalCase members.
macro_rules! wire_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name {
            $($(#[$fm])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
    };
}

wire_struct!(
    /// The execution's own details.
    ExecutionDetails {
        /// The caller's payload, as JSON text.
        input_payload: String,
    }
);
wire_struct!(
    /// A child context's details.
    ContextDetails {
        /// Whether a replay re-runs its children (its result was too large to keep).
        replay_children: bool,
        /// Its result.
        result: String,
        /// Its error.
        error: ErrorObject,
    }
);
wire_struct!(
    /// A step's details.
    StepDetails {
        /// Failed attempts so far (the running attempt is this + 1).
        attempt: u32,
        /// When the next attempt is due.
        next_attempt_timestamp: Millis,
        /// Its result.
        result: String,
        /// Its error.
        error: ErrorObject,
    }
);
wire_struct!(
    /// A wait's details.
    WaitDetails {
        /// When it ends.
        scheduled_end_timestamp: Millis,
    }
);
wire_struct!(
    /// A callback's details.
    CallbackDetails {
        /// The id outside systems complete it with.
        callback_id: String,
        /// Its result.
        result: String,
        /// Its error.
        error: ErrorObject,
    }
);
wire_struct!(
    /// A chained invocation's details.
    ChainedInvokeDetails {
        /// The invoked function's result.
        result: String,
        /// Its error.
        error: ErrorObject,
    }
);

/// One operation of an execution, as the service keeps it (`Operation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Operation {
    /// Its id, unique in the execution.
    pub id: String,
    /// The context it runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its type.
    #[serde(rename = "Type")]
    pub kind: OperationType,
    /// The SDK's finer kind (`Step`, `Wait`, `Map`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_timestamp: Option<Millis>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_timestamp: Option<Millis>,
    /// Where it is.
    pub status: OperationStatus,
    /// For the EXECUTION operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_details: Option<ExecutionDetails>,
    /// For a CONTEXT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_details: Option<ContextDetails>,
    /// For a STEP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_details: Option<StepDetails>,
    /// For a WAIT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_details: Option<WaitDetails>,
    /// For a CALLBACK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_details: Option<CallbackDetails>,
    /// For a CHAINED_INVOKE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chained_invoke_details: Option<ChainedInvokeDetails>,
}

wire_struct!(
    /// `ContextOptions` of an update.
    ContextOptions {
        /// See [`ContextDetails::replay_children`].
        replay_children: bool,
    }
);
wire_struct!(
    /// `StepOptions` of an update.
    StepOptions {
        /// Seconds until the next attempt (1 to 31,622,400).
        next_attempt_delay_seconds: u64,
    }
);
wire_struct!(
    /// `WaitOptions` of an update.
    WaitOptions {
        /// Seconds to wait (1 to 31,622,400).
        wait_seconds: u64,
    }
);
wire_struct!(
    /// `CallbackOptions` of an update.
    CallbackOptions {
        /// Seconds until the callback times out (0: never).
        timeout_seconds: u64,
        /// Seconds without a heartbeat until it times out (0: never).
        heartbeat_timeout_seconds: u64,
    }
);
wire_struct!(
    /// `ChainedInvokeOptions` of an update.
    ChainedInvokeOptions {
        /// The function to invoke: a name, `name:qualifier`, or an ARN.
        function_name: String,
        /// The tenant, for a multi-tenant function.
        tenant_id: String,
    }
);

/// A change a handler checkpoints (`OperationUpdate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OperationUpdate {
    /// The operation's id.
    pub id: String,
    /// The context it runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its type.
    #[serde(rename = "Type")]
    pub kind: OperationType,
    /// What to do.
    pub action: OperationAction,
    /// The SDK's finer kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// A result (SUCCEED), a condition's state (RETRY), an invocation's input (START).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// An error (FAIL, or RETRY of a failed attempt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorObject>,
    /// For a CONTEXT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_options: Option<ContextOptions>,
    /// For a STEP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_options: Option<StepOptions>,
    /// For a WAIT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_options: Option<WaitOptions>,
    /// For a CALLBACK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_options: Option<CallbackOptions>,
    /// For a CHAINED_INVOKE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chained_invoke_options: Option<ChainedInvokeOptions>,
}

/// A page of an execution's operations (the envelope's `InitialExecutionState`, a checkpoint's
/// `NewExecutionState`, the answer of `GetDurableExecutionState`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecutionState {
    /// The operations.
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// Where the next page starts; absent or empty on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// What a durable handler receives (the Runtime API event of a durable invocation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvocationInput {
    /// The execution.
    pub durable_execution_arn: String,
    /// The token of the first checkpoint.
    pub checkpoint_token: String,
    /// The execution's operations, first page.
    pub initial_execution_state: ExecutionState,
    /// Operations changed since the last invocation.
    #[serde(default)]
    pub updated_operation_ids: Vec<String>,
}

/// What a durable handler answers (always as a successful Runtime API response).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvocationOutput {
    /// How the invocation left the execution.
    pub status: InvocationStatus,
    /// The result, as JSON text (empty when it was checkpointed on the EXECUTION operation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// The error of a FAILED execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorObject>,
}

/// The body of `CheckpointDurableExecution`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckpointRequest {
    /// The token the last checkpoint (or the envelope) gave.
    pub checkpoint_token: String,
    /// The changes, applied in order.
    #[serde(default)]
    pub updates: Vec<OperationUpdate>,
    /// An idempotency token: a repeated request answers as the first did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// The answer of `CheckpointDurableExecution`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckpointResponse {
    /// The token of the next checkpoint; absent when the invocation may checkpoint no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_token: Option<String>,
    /// The operations changed since the invocation last saw them.
    pub new_execution_state: ExecutionState,
}

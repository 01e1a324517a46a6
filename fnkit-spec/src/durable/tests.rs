use super::arn::ExecutionArn;
use super::wire::*;

#[test]
fn an_arn_round_trips_and_its_last_segment_is_the_execution_id() {
    let text = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/order-7/0b6c";
    let arn = ExecutionArn::parse(text).expect("an execution ARN");
    assert_eq!(arn.function, "orders");
    assert_eq!(arn.version, "$LATEST");
    assert_eq!((arn.name.as_str(), arn.id.as_str()), ("order-7", "0b6c"));
    assert_eq!(arn.to_string(), text);
    // An alias is never an execution's qualifier; a name must fit the pattern.
    assert!(ExecutionArn::parse(&text.replace("$LATEST", "live")).is_none());
    assert!(ExecutionArn::parse(&text.replace("order-7", "order 7")).is_none());
    assert!(ExecutionArn::parse("arn:aws:lambda:us-east-1:1:function:f").is_none());
}

#[test]
fn the_envelope_reads_as_the_python_sdk_writes_it() {
    // The shape of `DurableExecutionInvocationInput` (aws-durable-execution-sdk-python 3.0.0,
    // execution.py), with a member this crate does not know.
    let json = r#"{"DurableExecutionArn":"arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/n/i",
      "CheckpointToken":"dG9r",
      "InitialExecutionState":{"Operations":[
        {"Id":"i","Type":"EXECUTION","Status":"STARTED","StartTimestamp":1764700000000,
         "ExecutionDetails":{"InputPayload":"{\"order\":7}"}},
        {"Id":"a1","Type":"STEP","SubType":"Step","Name":"reserve","Status":"PENDING",
         "StepDetails":{"Attempt":1,"NextAttemptTimestamp":1764700005000,"Error":{"ErrorType":"E"}},
         "Unknown":true}],
        "NextMarker":""}}"#;
    let input: InvocationInput = serde_json::from_str(json).unwrap();
    let ops = &input.initial_execution_state.operations;
    assert_eq!(ops[0].kind, OperationType::Execution);
    assert_eq!(ops[0].start_timestamp, Some(Millis(1_764_700_000_000)));
    let step = ops[1].step_details.as_ref().unwrap();
    assert_eq!(step.attempt, Some(1));
    assert_eq!(step.next_attempt_timestamp, Some(Millis(1_764_700_005_000)));
    assert!(input.updated_operation_ids.is_empty());
}

#[test]
fn rest_timestamps_in_seconds_read_as_milliseconds() {
    let op: Operation = serde_json::from_str(
        r#"{"Id":"w","Type":"WAIT","Status":"STARTED","StartTimestamp":1764700000.25,
            "WaitDetails":{"ScheduledEndTimestamp":1764700005}}"#,
    )
    .unwrap();
    assert_eq!(op.start_timestamp, Some(Millis(1_764_700_000_250)));
    assert_eq!(
        op.wait_details.unwrap().scheduled_end_timestamp,
        Some(Millis(1_764_700_005_000))
    );
}

#[test]
fn updates_and_outputs_write_only_their_members() {
    let update = OperationUpdate {
        id: "h1".into(),
        parent_id: None,
        name: Some("cool-off".into()),
        kind: OperationType::Wait,
        action: OperationAction::Start,
        sub_type: Some("Wait".into()),
        payload: None,
        error: None,
        context_options: None,
        step_options: None,
        wait_options: Some(WaitOptions {
            wait_seconds: Some(5),
        }),
        callback_options: None,
        chained_invoke_options: None,
    };
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        serde_json::json!({"Id":"h1","Name":"cool-off","Type":"WAIT","Action":"START",
            "SubType":"Wait","WaitOptions":{"WaitSeconds":5}})
    );
    let out: InvocationOutput = serde_json::from_str(r#"{"Status":"PENDING"}"#).unwrap();
    assert_eq!(out.status, InvocationStatus::Pending);
    assert_eq!(
        serde_json::to_string(&InvocationOutput {
            status: InvocationStatus::Failed,
            result: None,
            error: Some(ErrorObject::new("E", "m")),
        })
        .unwrap(),
        r#"{"Status":"FAILED","Error":{"ErrorType":"E","ErrorMessage":"m"}}"#
    );
}

#[test]
fn field_rules() {
    assert!(super::is_operation_id("a-Z_9"));
    assert!(!super::is_operation_id(""));
    assert!(!super::is_operation_id(&"a".repeat(65)));
    assert!(!super::is_sub_type(&"a".repeat(33)));
    assert!(super::is_operation_name("any printable name!"));
    assert!(!super::is_operation_name("tab\there"));
    assert!(super::DurableConfig::default().check().is_ok());
    let bad = super::DurableConfig {
        execution_timeout_secs: 0,
        retention_days: 14,
    };
    assert!(bad.check().unwrap_err().contains("execution_timeout_secs"));
}

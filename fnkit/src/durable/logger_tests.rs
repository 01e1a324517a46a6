//! Replay as the logger sees it: when a context replays (and its lines are left out), and what
//! a line holds. The recorded operations are written as the service sends them (its JSON).

use fnkit_spec::durable::wire::{Operation, OperationType};
use serde_json::{json, Value};

use super::context::DurableContext;
use super::ids::wire_id;
use super::logger::Level;

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST/durable-execution/e/e";

/// An operation at `path` as the service records it.
fn op(path: &str, kind: &str, sub_type: &str, status: &str, parent: Option<&str>) -> Operation {
    let mut op = json!({
        "Id": wire_id(path),
        "Type": kind,
        "SubType": sub_type,
        "Name": "op",
        "Status": status,
    });
    if let Some(parent) = parent {
        op["ParentId"] = wire_id(parent).into();
    }
    serde_json::from_value(op).expect("an operation")
}

/// Reads the record of the context's next operation, as every operation starts.
fn run(ctx: &DurableContext, kind: OperationType, sub_type: &str) -> bool {
    let id = ctx.next();
    let record = ctx
        .record(&id, kind, sub_type, "op")
        .expect("the same operation");
    record.is_some()
}

#[test]
fn a_fresh_execution_is_not_replaying() {
    let ctx = DurableContext::over(ARN, vec![]);
    assert!(!ctx.is_replaying());
    assert!(ctx.logger().writes(Level::Info));
}

#[test]
fn replaying_lasts_until_the_next_operation_has_no_record() {
    let ops = vec![
        op("1", "STEP", "Step", "SUCCEEDED", None),
        op("2", "WAIT", "Wait", "SUCCEEDED", None),
    ];
    let ctx = DurableContext::over(ARN, ops);
    let logger = ctx.logger();
    assert!(ctx.is_replaying(), "before the first recorded operation");
    assert!(!logger.writes(Level::Info), "a replayed line is left out");
    assert!(logger.clone().with_replay_logging().writes(Level::Info));
    assert!(run(&ctx, OperationType::Step, "Step"));
    assert!(ctx.is_replaying(), "the wait is recorded too");
    assert!(run(&ctx, OperationType::Wait, "Wait"));
    assert!(!ctx.is_replaying(), "nothing is recorded after the wait");
    assert!(logger.writes(Level::Info));
    let debug = Level::threshold() == Level::Debug;
    assert_eq!(
        logger.writes(Level::Debug),
        debug,
        "INFO unless FNKIT_LOG says"
    );
}

#[test]
fn a_step_that_runs_its_body_again_ends_the_replay() {
    let ops = vec![
        op("1", "STEP", "Step", "READY", None),
        op("2", "WAIT", "Wait", "SUCCEEDED", None),
    ];
    let ctx = DurableContext::over(ARN, ops);
    assert!(ctx.is_replaying());
    assert!(run(&ctx, OperationType::Step, "Step"));
    assert!(
        !ctx.is_replaying(),
        "real work from the step's body on, for good"
    );
}

#[test]
fn a_child_starts_as_its_parent_is_and_ends_its_own_replay() {
    let ops = vec![
        op("1", "CONTEXT", "RunInChildContext", "SUCCEEDED", None),
        op("1-1", "STEP", "Step", "SUCCEEDED", Some("1")),
    ];
    let ctx = DurableContext::over(ARN, ops);
    let id = ctx.next();
    let record = ctx.record(&id, OperationType::Context, "RunInChildContext", "op");
    assert!(record.expect("the same operation").is_some());
    let child = ctx.child(&id);
    assert!(child.is_replaying(), "its step is recorded");
    assert!(run(&child, OperationType::Step, "Step"));
    assert!(!child.is_replaying(), "nothing after its step");
    assert!(!ctx.is_replaying(), "nothing after the child either");
}

#[test]
fn a_new_child_of_a_replaying_parent_is_new() {
    let ops = vec![op("1", "STEP", "Step", "SUCCEEDED", None)];
    let ctx = DurableContext::over(ARN, ops);
    assert!(run(&ctx, OperationType::Step, "Step"));
    let id = ctx.next();
    let record = ctx.record(&id, OperationType::Context, "RunInChildContext", "op");
    assert!(record.expect("a new operation").is_none());
    assert!(!ctx.child(&id).is_replaying());
}

#[test]
fn a_line_names_the_execution_the_request_and_the_step() {
    let ctx = DurableContext::over(ARN, vec![]);
    let id = ctx.next();
    let step = ctx.step_context(&id, "charge", 2);
    let line = step.logger().line(Level::Warn, "declined");
    assert_eq!(line["executionArn"], ARN);
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["message"], "declined");
    assert_eq!(line["operationId"], wire_id("1"));
    assert_eq!(line["operationName"], "charge");
    assert_eq!(line["attempt"], 2);
    assert_eq!(line.get("requestId"), None, "outside an invocation");
    let stamp = line["timestamp"].as_str().expect("a timestamp");
    assert!(
        chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
        "{stamp}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let logger = ctx.logger();
    let line: Value = runtime.block_on(crate::context::with_request_id("req-1", async move {
        logger.line(Level::Info, "hello")
    }));
    assert_eq!(line["requestId"], "req-1");
    assert_eq!(line.get("operationId"), None, "not in an operation");
}

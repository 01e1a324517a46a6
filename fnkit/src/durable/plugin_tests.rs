//! The plugin host: factories and hooks in registration order, each hook once per operation, and
//! a plugin (or factory) that panics contained without silencing the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fnkit_spec::durable::wire::Operation;
use serde_json::json;

use super::plugin::{
    DurablePlugin, Host, InvocationEndInfo, InvocationInfo, InvocationOutcome, OperationInfo,
    Plugins,
};

type Heard = Arc<Mutex<Vec<String>>>;

/// Writes what it hears into `heard`, as `<label> <hook>`; panics after, when `panics`.
struct Ear {
    label: &'static str,
    heard: Heard,
    panics: bool,
}

impl Ear {
    fn hear(&self, hook: &str) {
        self.heard
            .lock()
            .unwrap()
            .push(format!("{} {hook}", self.label));
        assert!(!self.panics, "{} panics in {hook}", self.label);
    }
}

impl DurablePlugin for Ear {
    fn on_invocation_start(&self, _: &InvocationInfo<'_>) {
        self.hear("invocation-start");
    }
    fn on_invocation_end(&self, _: &InvocationEndInfo<'_>) {
        self.hear("invocation-end");
    }
    fn on_operation_start(&self, _: &OperationInfo<'_>) {
        self.hear("operation-start");
    }
    fn on_operation_end(&self, _: &OperationInfo<'_>) {
        self.hear("operation-end");
    }
}

fn ear(label: &'static str, heard: &Heard, panics: bool) -> impl Fn(&InvocationInfo<'_>) -> Ear {
    let heard = heard.clone();
    move |_| Ear {
        label,
        heard: heard.clone(),
        panics,
    }
}

#[test]
fn hooks_run_in_order_once_per_operation_and_a_panic_silences_no_one() {
    let heard = Heard::default();
    let plugins = Plugins::default()
        .with(ear("a", &heard, true))
        .with(|_: &InvocationInfo<'_>| -> Ear { panic!("this factory fails") })
        .with(ear("b", &heard, false));
    let operations = HashMap::new();
    let input = json!(null);
    let info = InvocationInfo {
        execution_arn: "arn",
        is_first_invocation: true,
        input: &input,
        operations: &operations,
        updated_operation_ids: &[],
    };
    let host = Host::start(&plugins, &info);
    let op: Operation = serde_json::from_value(json!({
        "Id": "s", "Type": "STEP", "SubType": "Step", "Status": "SUCCEEDED",
    }))
    .unwrap();
    let started = OperationInfo::of(&op, false);
    host.operation_started(&started);
    host.operation_started(&started);
    host.operation_ended(&op);
    host.operation_ended(&op);
    host.invocation_ended(&InvocationEndInfo {
        execution_arn: "arn",
        outcome: InvocationOutcome::Succeeded,
        result: Some("1"),
        error: None,
    });
    let heard = heard.lock().unwrap().clone();
    assert_eq!(
        heard,
        [
            "a invocation-start",
            "b invocation-start",
            "a operation-start",
            "b operation-start",
            "a operation-end",
            "b operation-end",
            "a invocation-end",
            "b invocation-end",
        ]
    );
}

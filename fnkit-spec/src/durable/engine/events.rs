//! History events as the durable execution API writes them (`Event` of botocore's `lambda`
//! model): every event carries its `<EventType>Details` object (the conformance suite's matcher
//! needs the key even when it asserts nothing in it), payloads are wrapped with `Truncated`, and
//! times are stored in epoch ms and written in epoch seconds by [`rest_times`].

use crate::durable::wire::{ErrorObject, Operation};
use serde_json::{json, Map, Value};

/// `{"Payload": text, "Truncated": false}`.
pub fn payload(text: &str) -> Value {
    json!({"Payload": text, "Truncated": false})
}

/// `{"Payload": {ErrorObject}, "Truncated": false}`.
pub fn error(e: &ErrorObject) -> Value {
    json!({"Payload": e, "Truncated": false})
}

/// An event of `kind` (`StepStarted`) for operation `op` (none for the execution's own events)
/// with its details; the event id and time are filled in when it is appended.
pub fn event(kind: &str, op: Option<&Operation>, details: Value) -> Value {
    let mut e = Map::new();
    e.insert("EventType".into(), kind.into());
    if let Some(op) = op {
        if let Some(s) = &op.sub_type {
            e.insert("SubType".into(), s.as_str().into());
        }
        e.insert("Id".into(), op.id.as_str().into());
        if let Some(n) = &op.name {
            e.insert("Name".into(), n.as_str().into());
        }
        if let Some(p) = &op.parent_id {
            e.insert("ParentId".into(), p.as_str().into());
        }
    }
    e.insert(format!("{kind}Details"), details);
    Value::Object(e)
}

/// Rewrites every `...Timestamp` member holding epoch ms into epoch seconds, as rest-json
/// writes timestamps (botocore reads them into datetimes).
pub fn rest_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k.ends_with("Timestamp") {
                    if let Some(ms) = v.as_i64() {
                        *v = json!(ms as f64 / 1000.0);
                        continue;
                    }
                }
                rest_times(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rest_times),
        _ => {}
    }
}

/// The event without its payloads (`IncludeExecutionData=false`): every `Payload` member is
/// dropped, `Truncated` stays.
pub fn without_data(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("Payload");
            map.values_mut().for_each(without_data);
        }
        Value::Array(items) => items.iter_mut().for_each(without_data),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_seconds_and_payloads_can_be_dropped() {
        let mut e = json!({"EventTimestamp": 1_764_700_000_250_i64,
            "WaitStartedDetails": {"Duration": 5, "ScheduledEndTimestamp": 1_764_700_005_000_i64},
            "StepSucceededDetails": {"Result": payload("\"x\"")}});
        rest_times(&mut e);
        assert_eq!(e["EventTimestamp"], json!(1_764_700_000.25));
        assert_eq!(
            e["WaitStartedDetails"]["ScheduledEndTimestamp"],
            json!(1_764_700_005.0)
        );
        assert_eq!(e["WaitStartedDetails"]["Duration"], json!(5));
        without_data(&mut e);
        assert_eq!(
            e["StepSucceededDetails"]["Result"],
            json!({"Truncated": false})
        );
    }
}

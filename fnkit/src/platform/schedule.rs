//! The EventBridge scheduled event AWS sends a scheduled function, built from
//! `aws_lambda_events`' own type.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, SubsecRound, Utc};

use crate::ScheduleEvent;

/// The EventBridge scheduled event for a firing, as AWS would deliver it (time to the second).
pub fn to_eventbridge_event(event: &ScheduleEvent) -> serde_json::Value {
    let mut out: EventBridgeEvent = EventBridgeEvent::default();
    out.version = Some("0".to_owned());
    out.id = Some(event.id.clone());
    out.detail_type = "Scheduled Event".to_owned();
    out.source = "aws.events".to_owned();
    out.account = Some("000000000000".to_owned());
    out.time = Some(DateTime::<Utc>::from(event.time).trunc_subsecs(0));
    out.region = Some("us-east-1".to_owned());
    out.resources = Some(event.resources.clone());
    out.detail = serde_json::json!({});
    super::without_nulls(serde_json::to_value(out).unwrap_or_default())
}

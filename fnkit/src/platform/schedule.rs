//! The EventBridge scheduled event AWS sends a scheduled function.

use crate::ScheduleEvent;

/// The EventBridge scheduled event for a firing, as AWS would deliver it.
pub fn to_eventbridge_event(event: &ScheduleEvent) -> serde_json::Value {
    let time = chrono::DateTime::<chrono::Utc>::from(event.time);
    serde_json::json!({
        "version": "0",
        "id": event.id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "us-east-1",
        "resources": event.resources,
        "detail": {},
    })
}

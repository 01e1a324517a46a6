//! Scheduled functions: the clock's tick, decoded from an EventBridge scheduled event.

use std::time::SystemTime;

use aws_lambda_events::eventbridge::EventBridgeEvent;

use super::{parse_payload, trigger, FromEvent};
use crate::invocation::Invocation;
use crate::Error;

/// One firing of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScheduleEvent {
    /// The event's id (unique per firing; a retried firing keeps its id).
    pub id: String,
    /// The time the schedule fired for.
    pub time: SystemTime,
    /// The rules that fired, as ARNs.
    pub resources: Vec<String>,
}

impl ScheduleEvent {
    /// A firing at `time` with the given id.
    pub fn new(id: impl Into<String>, time: SystemTime) -> Self {
        ScheduleEvent {
            id: id.into(),
            time,
            resources: Vec::new(),
        }
    }
}

impl FromEvent<trigger::Schedule> for ScheduleEvent {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        const WHAT: &str = "a scheduled event (EventBridge)";
        let event: EventBridgeEvent = parse_payload(&invocation.payload, WHAT)?;
        if event.detail_type != "Scheduled Event" {
            return Err(Error::unmarshal(
                WHAT,
                format!(
                    "`detail-type` is `{}`, not `Scheduled Event`",
                    event.detail_type
                ),
            ));
        }
        Ok(ScheduleEvent {
            id: event.id.unwrap_or_default(),
            time: event.time.map(Into::into).unwrap_or_else(SystemTime::now),
            resources: event.resources.unwrap_or_default(),
        })
    }
}

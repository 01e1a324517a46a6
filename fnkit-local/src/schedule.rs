//! The clock: fires each scheduled function at the times its cron or rate expression names, as
//! an EventBridge scheduled event delivered asynchronously (stored first, retried on failure).
//! `POST /_fnkit/schedules/{function}` fires one now; `--no-schedules` stops the clock.

use std::sync::Arc;
use std::time::SystemTime;

use chrono::Utc;
use fnkit::manifest::Trigger;

use crate::core::Core;
use crate::store::{Kind, NewMessage};

/// Stores a scheduled event for `function` (fired at `time`) and wakes its delivery; returns
/// the event id.
pub(crate) fn fire(core: &Core, function: &str, time: SystemTime) -> Result<String, String> {
    let f = core
        .functions
        .get(function)
        .ok_or_else(|| format!("no function named `{function}`"))?;
    let id = crate::core::fnkit_request_id();
    let mut event = fnkit::ScheduleEvent::new(id.clone(), time);
    event.resources = vec![format!(
        "arn:aws:events:{}:000000000000:rule/{}",
        core.config.region, f.config.name
    )];
    let body = serde_json::to_vec(&fnkit::event::schedule::to_eventbridge_event(&event))
        .unwrap_or_default();
    core.store
        .enqueue(&[NewMessage {
            id: id.clone(),
            kind: Kind::Async,
            target: function.to_owned(),
            body,
            attributes: serde_json::json!({}),
            trigger: "schedule".to_owned(),
            delay_ms: 0,
        }])
        .map_err(|e| e.to_string())?;
    core.wake(Kind::Async, function);
    Ok(id)
}

/// Starts one clock per scheduled function, unless schedules are off.
pub(crate) fn start(core: &Arc<Core>) -> Vec<tokio::task::JoinHandle<()>> {
    if !core.config.schedules {
        return Vec::new();
    }
    let started = Utc::now();
    core.functions
        .values()
        .filter_map(|f| match &f.spec.trigger {
            Trigger::Schedule(expr) => Some((f.config.name.clone(), expr.clone())),
            _ => None,
        })
        .map(|(name, expr)| {
            let core = core.clone();
            tokio::spawn(async move {
                let mut after = Utc::now();
                while let Some(next) = expr.next_after(after, started) {
                    let wait = (next - Utc::now()).to_std().unwrap_or_default();
                    tokio::time::sleep(wait).await;
                    if let Err(e) = fire(&core, &name, next.into()) {
                        core.logs
                            .info(&format!("fnkit-local: schedule of {name}: {e}"));
                    }
                    after = next;
                }
            })
        })
        .collect()
}

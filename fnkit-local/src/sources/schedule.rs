//! The clock: fires each scheduled function at the times its cron or rate expression names
//! (computed by `fnkit-spec`, the rules the deploy targets translate from), as an EventBridge
//! scheduled event delivered asynchronously (stored first, retried on failure).
//! `POST /_fnkit/schedules/{function}` fires one now; `--no-schedules` stops the clock.

use std::sync::Arc;
use std::time::SystemTime;

use chrono::Utc;
use fnkit::manifest::Trigger;

use crate::engine::{new_request_id, Engine, Function};
use crate::work::store::{Kind, NewMessage};
use crate::work::Work;

/// Why a schedule could not be fired.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FireError {
    /// No scheduled function has that name; `scheduled` lists those that do.
    #[error(
        "no scheduled function named `{function}`; scheduled: {}",
        list(scheduled)
    )]
    NotFound {
        function: String,
        scheduled: Vec<String>,
    },
    #[error(transparent)]
    Store(#[from] crate::db::DbError),
}

/// Names for a message, or `none`.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Stores a scheduled event for `function` (fired at `time`) and wakes its delivery; returns
/// the event id.
pub(crate) async fn fire(
    engine: &Engine,
    work: &Work,
    function: &str,
    time: SystemTime,
) -> Result<String, FireError> {
    let scheduled = |f: &&Arc<Function>| matches!(f.spec.trigger, Trigger::Schedule { .. });
    let f = engine
        .functions
        .get(function)
        .filter(scheduled)
        .ok_or_else(|| {
            let mut scheduled: Vec<String> = engine
                .functions
                .values()
                .filter(scheduled)
                .map(|f| f.config.name.clone())
                .collect();
            scheduled.sort();
            FireError::NotFound {
                function: function.to_owned(),
                scheduled,
            }
        })?;
    let id = new_request_id();
    let mut event = fnkit::ScheduleEvent::new(id.clone(), time);
    event.resources = vec![format!(
        "arn:aws:events:{}:000000000000:rule/{}",
        engine.config.region, f.config.name
    )];
    let body =
        serde_json::to_vec(&fnkit::platform::to_eventbridge_event(&event)).unwrap_or_default();
    let message = NewMessage {
        id: id.clone(),
        kind: Kind::Async,
        target: function.to_owned(),
        body,
        attributes: serde_json::json!({}),
        trigger: "schedule".to_owned(),
        delay_ms: 0,
    };
    work.push(vec![message]).await?;
    Ok(id)
}

/// Starts one clock per scheduled function, unless schedules are off.
pub(crate) fn start(engine: &Arc<Engine>, work: &Arc<Work>) -> Vec<tokio::task::JoinHandle<()>> {
    if !engine.config.schedules {
        return Vec::new();
    }
    let started = *engine.clock_started.get_or_init(Utc::now);
    engine
        .functions
        .values()
        .filter_map(|f| match &f.spec.trigger {
            Trigger::Schedule(expr) => Some((f.config.name.clone(), expr.clone())),
            _ => None,
        })
        .map(|(name, expr)| {
            let (engine, work) = (engine.clone(), work.clone());
            tokio::spawn(async move {
                let mut after = Utc::now();
                while let Some(next) = expr.next_after(after, started) {
                    let wait = (next - Utc::now()).to_std().unwrap_or_default();
                    tokio::time::sleep(wait).await;
                    if let Err(e) = fire(&engine, &work, &name, next.into()).await {
                        engine
                            .logs
                            .info(&format!("fnkit-local: schedule of {name}: {e}"));
                    }
                    after = next;
                }
            })
        })
        .collect()
}

/// The scheduled functions, each with its expression and next firing (`null` while the clock
/// is off, `--no-schedules`).
pub(crate) fn listed(engine: &Engine) -> serde_json::Value {
    let now = Utc::now();
    let mut list: Vec<serde_json::Value> = engine
        .functions
        .values()
        .filter_map(|f| match &f.spec.trigger {
            Trigger::Schedule(expr) => {
                let next = engine
                    .clock_started
                    .get()
                    .and_then(|started| expr.next_after(now, *started))
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                Some(serde_json::json!({"function": f.config.name, "schedule": expr.to_string(), "next": next}))
            }
            _ => None,
        })
        .collect();
    list.sort_by(|a, b| a["function"].as_str().cmp(&b["function"].as_str()));
    serde_json::Value::Array(list)
}

//! The clock: fires each scheduled function at the times its cron or rate expression names, as
//! an EventBridge scheduled event delivered asynchronously (stored first, retried on failure).
//! `POST /_fnkit/schedules/{function}` fires one now; `--no-schedules` stops the clock.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use fnkit::manifest::{ScheduleExpr, Trigger};

use crate::core::Core;
use crate::store::{Kind, NewMessage};

/// The next firing after `after`, or `None` if the expression never fires again.
pub(crate) fn next_after(
    expr: &ScheduleExpr,
    after: chrono::DateTime<Utc>,
    started: chrono::DateTime<Utc>,
) -> Option<chrono::DateTime<Utc>> {
    match expr {
        ScheduleExpr::Cron(c) => cron::Schedule::from_str(c).ok()?.after(&after).next(),
        ScheduleExpr::Rate(r) => {
            let period = rate_period(r)?;
            // Rates count from the emulator's start, as EventBridge counts from the rule's creation.
            let elapsed = (after - started).to_std().unwrap_or_default();
            let periods = elapsed.as_millis() / period.as_millis() + 1;
            Some(started + chrono::Duration::from_std(period * periods as u32).ok()?)
        }
    }
}

/// The period of a rate such as `5 minutes`.
pub(crate) fn rate_period(rate: &str) -> Option<Duration> {
    let mut parts = rate.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    let unit = match parts.next()? {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    (n > 0).then(|| Duration::from_secs(n * unit))
}

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
                while let Some(next) = next_after(&expr, after, started) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cron_with_seconds_and_rates_give_the_next_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 27, 10, 3, 7).unwrap();
        let cron = ScheduleExpr::Cron("0 */5 * * * *".into());
        assert_eq!(
            next_after(&cron, t, t),
            Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 5, 0).unwrap())
        );
        let rate = ScheduleExpr::Rate("5 minutes".into());
        assert_eq!(
            next_after(&rate, t, t),
            Some(t + chrono::Duration::minutes(5))
        );
        assert_eq!(
            next_after(&rate, t + chrono::Duration::minutes(7), t),
            Some(t + chrono::Duration::minutes(10))
        );
        assert_eq!(rate_period("1 day"), Some(Duration::from_secs(86_400)));
        assert_eq!(rate_period("0 days"), None);
    }
}

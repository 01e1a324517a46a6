//! Schedules: fnkit's cron (with a seconds field) and EventBridge-style rates. This module checks
//! them (for the macro and for manifests read from binaries), computes the next firing (for the
//! emulator's clock) and writes them in each deploy target's syntax.
//!
//! fnkit's cron is the `cron` crate's: `sec min hour day-of-month month day-of-week [year]`, with
//! days of the week numbered **1 = Sunday to 7 = Saturday** (as EventBridge numbers them; Knative's
//! PingSource, like Unix cron, numbers 0 = Sunday). Translations therefore never copy the
//! day-of-week field: they write the days the `cron` crate parsed as names (`MON-FRI`), which
//! every target reads the same way.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cron::TimeUnitSpec;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// When a scheduled function fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleExpr {
    /// A cron expression with a seconds field: `sec min hour day-of-month month day-of-week [year]`.
    Cron(Cow<'static, str>),
    /// An EventBridge rate: `5 minutes`, `1 hour`, `2 days`.
    Rate(Rate),
}

impl ScheduleExpr {
    /// A checked cron schedule.
    ///
    /// ```
    /// use fnkit_spec::schedule::ScheduleExpr;
    /// assert!(ScheduleExpr::cron("0 */5 * * * *").is_ok());
    /// assert!(ScheduleExpr::cron("*/5 * * * *").is_err()); // no seconds field
    /// ```
    pub fn cron(expr: &str) -> Result<ScheduleExpr, ScheduleError> {
        one_day_field(expr, &parse_cron(expr)?)?;
        Ok(ScheduleExpr::Cron(Cow::Owned(expr.to_owned())))
    }

    /// Checks the expression (a rate is checked when it is built).
    pub fn check(&self) -> Result<(), ScheduleError> {
        match self {
            ScheduleExpr::Cron(c) => one_day_field(c, &parse_cron(c)?),
            ScheduleExpr::Rate(_) => Ok(()),
        }
    }

    /// The next firing strictly after `after`, or `None` if it never fires again. Rates count
    /// whole periods from `started`, as EventBridge counts from the rule's creation.
    pub fn next_after(
        &self,
        after: DateTime<Utc>,
        started: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match self {
            ScheduleExpr::Cron(c) => parse_cron(c).ok()?.after(&after).next(),
            ScheduleExpr::Rate(rate) => {
                let period = rate.period();
                let elapsed = (after - started).to_std().unwrap_or_default();
                let periods = elapsed.as_millis() / period.as_millis() + 1;
                let offset = u32::try_from(periods).ok()?;
                Some(started + chrono::Duration::from_std(period.checked_mul(offset)?).ok()?)
            }
        }
    }
}

impl fmt::Display for ScheduleExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleExpr::Cron(c) => write!(f, "cron {c}"),
            ScheduleExpr::Rate(r) => write!(f, "rate {r}"),
        }
    }
}

/// Why a schedule is refused, or cannot be written for a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// Not 6 or 7 fields.
    #[error("cron `{expr}` has {fields} fields; fnkit's cron has 6 or 7: sec min hour day-of-month month day-of-week [year], e.g. \"0 */5 * * * *\"")]
    CronFields {
        /// The expression.
        expr: String,
        /// How many fields it has.
        fields: usize,
    },
    /// The `cron` crate refused it.
    #[error("invalid cron expression `{expr}`: {reason}")]
    Cron {
        /// The expression.
        expr: String,
        /// What the parser said.
        reason: String,
    },
    /// Not `<count> <unit>`.
    #[error("`{0}` is not a rate; write a count and a unit, e.g. \"5 minutes\", \"1 hour\" or \"1 day\"")]
    RateSyntax(String),
    /// A count of zero.
    #[error("rate `{0}` must be at least 1")]
    RateZero(String),
    /// A unit EventBridge does not have.
    #[error("rate `{0}`: rates count minutes, hours or days, as EventBridge does; for a sub-minute schedule use `cron` with a seconds field")]
    RateSeconds(String),
    /// A seconds field other than `0`, which a minute-resolution target cannot express.
    #[error("cron `{expr}` fires on seconds `{seconds}`; {target} schedules have minute resolution, so only a seconds field of `0` can be deployed")]
    SubMinute {
        /// The expression.
        expr: String,
        /// Its seconds field.
        seconds: String,
        /// The target (`EventBridge`, `PingSource`).
        target: &'static str,
    },
    /// Both day fields restricted: the `cron` crate requires both to match, Unix cron and
    /// Knative either one, and EventBridge refuses the combination.
    #[error("cron `{expr}` restricts both day-of-month and day-of-week; {target} reads that differently from the emulator, so restrict one of them")]
    BothDays {
        /// The expression.
        expr: String,
        /// The target.
        target: &'static str,
    },
    /// A year field, which PingSource schedules do not have.
    #[error("cron `{0}` names a year; PingSource schedules cannot")]
    Year(String),
    /// A rate with no exact 5-field cron equivalent.
    #[error("rate `{0}` has no exact cron equivalent; use a cron expression")]
    NoCronEquivalent(String),
}

/// Refuses a cron that restricts both day fields: the `cron` crate fires when both match, Unix
/// cron and Knative when either does, and EventBridge refuses it, so no meaning would hold
/// everywhere; refused where it is written (the macro), not first at `package`.
fn one_day_field(expr: &str, schedule: &cron::Schedule) -> Result<(), ScheduleError> {
    if !schedule.days_of_week().is_all() && !schedule.days_of_month().is_all() {
        return Err(ScheduleError::BothDays {
            expr: expr.to_owned(),
            target: "EventBridge (which refuses it) or Knative (which fires on either day)",
        });
    }
    Ok(())
}

/// Parses and checks fnkit's cron: 6 or 7 fields, as the `cron` crate reads them.
pub fn parse_cron(expr: &str) -> Result<cron::Schedule, ScheduleError> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(ScheduleError::CronFields {
            expr: expr.to_owned(),
            fields,
        });
    }
    cron::Schedule::from_str(expr).map_err(|e| {
        // The cron crate draws a caret under the field on extra lines; keep its last line.
        let detail = e.to_string();
        let reason = detail
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_owned();
        ScheduleError::Cron {
            expr: expr.to_owned(),
            reason,
        }
    })
}

/// The unit of a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
}

impl RateUnit {
    fn seconds(self) -> u64 {
        match self {
            RateUnit::Minutes => 60,
            RateUnit::Hours => 3600,
            RateUnit::Days => 86_400,
        }
    }
}

/// An EventBridge rate: a count of at least 1 and a unit. Written and read as `5 minutes`,
/// `1 hour` (the unit singular for 1, as EventBridge requires).
///
/// ```
/// use fnkit_spec::schedule::{Rate, RateUnit};
/// let rate: Rate = "5 minutes".parse().unwrap();
/// assert_eq!(rate, Rate::new(5, RateUnit::Minutes));
/// assert_eq!(rate.period().as_secs(), 300);
/// assert_eq!(Rate::new(1, RateUnit::Hours).to_string(), "1 hour");
/// assert!("30 seconds".parse::<Rate>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    value: u32,
    unit: RateUnit,
}

impl Rate {
    /// A rate of `value` units; a `value` of 0 is taken as 1 (the macro refuses 0 before this).
    pub const fn new(value: u32, unit: RateUnit) -> Rate {
        Rate {
            value: if value == 0 { 1 } else { value },
            unit,
        }
    }

    /// The count.
    pub fn value(self) -> u32 {
        self.value
    }

    /// The unit.
    pub fn unit(self) -> RateUnit {
        self.unit
    }

    /// The time between two firings.
    pub fn period(self) -> Duration {
        Duration::from_secs(u64::from(self.value) * self.unit.seconds())
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            RateUnit::Minutes => "minute",
            RateUnit::Hours => "hour",
            RateUnit::Days => "day",
        };
        let plural = if self.value == 1 { "" } else { "s" };
        write!(f, "{} {unit}{plural}", self.value)
    }
}

impl FromStr for Rate {
    type Err = ScheduleError;
    fn from_str(text: &str) -> Result<Rate, ScheduleError> {
        let bad = || ScheduleError::RateSyntax(text.to_owned());
        let mut parts = text.split_whitespace();
        let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let value: u32 = value.parse().map_err(|_| bad())?;
        if value == 0 {
            return Err(ScheduleError::RateZero(text.to_owned()));
        }
        let unit = match unit {
            "minute" | "minutes" => RateUnit::Minutes,
            "hour" | "hours" => RateUnit::Hours,
            "day" | "days" => RateUnit::Days,
            "second" | "seconds" => return Err(ScheduleError::RateSeconds(text.to_owned())),
            _ => return Err(bad()),
        };
        Ok(Rate { value, unit })
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rate, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The days of the week a cron schedule fires on, as names (`MON-FRI`, `SUN,WED`), or `None`
/// when it fires on every day. Built from what the `cron` crate parsed, so numeric fields
/// (where the crate's 1 = Sunday differs from Unix cron's 0 = Sunday) are never copied.
fn day_names(schedule: &cron::Schedule) -> Option<String> {
    let days = schedule.days_of_week();
    if days.is_all() {
        return None;
    }
    // The crate's ordinals are 1 (Sunday) to 7 (Saturday).
    let ordinals: Vec<u32> = days.iter().filter(|d| (1..=7).contains(d)).collect();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ordinals.len() {
        let mut j = i;
        while j + 1 < ordinals.len() && ordinals[j + 1] == ordinals[j] + 1 {
            j += 1;
        }
        let name = |o: u32| DAY_NAMES[(o - 1) as usize];
        if j >= i + 2 {
            parts.push(format!("{}-{}", name(ordinals[i]), name(ordinals[j])));
        } else {
            parts.extend(ordinals[i..=j].iter().map(|&o| name(o).to_owned()));
        }
        i = j + 1;
    }
    Some(parts.join(","))
}

/// A deployable cron split into its fields, seconds checked.
struct Fields<'a> {
    minute: &'a str,
    hour: &'a str,
    day_of_month: &'a str,
    month: &'a str,
    /// `None`: every day of the week.
    days: Option<String>,
    /// The day-of-month restricts.
    dom_restricted: bool,
    year: Option<&'a str>,
}

fn fields<'a>(expr: &'a str, target: &'static str) -> Result<Fields<'a>, ScheduleError> {
    let schedule = parse_cron(expr)?;
    let f: Vec<&str> = expr.split_whitespace().collect();
    if f[0] != "0" {
        return Err(ScheduleError::SubMinute {
            expr: expr.to_owned(),
            seconds: f[0].to_owned(),
            target,
        });
    }
    let days = day_names(&schedule);
    let dom_restricted = !schedule.days_of_month().is_all();
    if days.is_some() && dom_restricted {
        return Err(ScheduleError::BothDays {
            expr: expr.to_owned(),
            target,
        });
    }
    Ok(Fields {
        minute: f[1],
        hour: f[2],
        day_of_month: f[3],
        month: f[4],
        days,
        dom_restricted,
        year: f.get(6).copied().filter(|y| *y != "*" && *y != "?"),
    })
}

/// The schedule as an EventBridge expression: `cron(min hour dom month dow year)` or
/// `rate(5 minutes)`.
///
/// ```
/// use fnkit_spec::schedule::{eventbridge_expression, ScheduleExpr};
/// let weekdays = ScheduleExpr::cron("0 0 8 * * MON-FRI").unwrap();
/// assert_eq!(eventbridge_expression(&weekdays).unwrap(), "cron(0 8 ? * MON-FRI *)");
/// ```
pub fn eventbridge_expression(expr: &ScheduleExpr) -> Result<String, ScheduleError> {
    let text = match expr {
        ScheduleExpr::Rate(rate) => return Ok(format!("rate({rate})")),
        ScheduleExpr::Cron(text) => text,
    };
    let f = fields(text, "EventBridge")?;
    // EventBridge writes `*/n` as `start/n`.
    let step = |field: &str, start: &str| match field.strip_prefix("*/") {
        Some(n) => format!("{start}/{n}"),
        None => field.to_owned(),
    };
    // One of day-of-month and day-of-week must be `?`.
    let (dom, dow) = match f.days {
        Some(days) => ("?".to_owned(), days),
        None if f.dom_restricted => (step(f.day_of_month, "1"), "?".to_owned()),
        None => ("*".to_owned(), "?".to_owned()),
    };
    Ok(format!(
        "cron({} {} {dom} {} {dow} {})",
        step(f.minute, "0"),
        step(f.hour, "0"),
        step(f.month, "1"),
        f.year.unwrap_or("*")
    ))
}

/// The schedule as the 5-field cron of a Knative PingSource (`min hour dom month dow`).
///
/// ```
/// use fnkit_spec::schedule::{knative_cron, ScheduleExpr};
/// let every_15 = ScheduleExpr::Rate("15 minutes".parse().unwrap());
/// assert_eq!(knative_cron(&every_15).unwrap(), "*/15 * * * *");
/// ```
pub fn knative_cron(expr: &ScheduleExpr) -> Result<String, ScheduleError> {
    let text = match expr {
        ScheduleExpr::Rate(rate) => {
            let n = rate.value();
            // `*/n` repeats evenly only when n divides the field's range, and a day step
            // restarts every month: only those rates have an exact cron.
            return match rate.unit() {
                RateUnit::Minutes if 60 % n == 0 => Ok(format!("*/{n} * * * *")),
                RateUnit::Hours if 24 % n == 0 => Ok(format!("0 */{n} * * *")),
                RateUnit::Days if n == 1 => Ok("0 0 * * *".to_owned()),
                _ => Err(ScheduleError::NoCronEquivalent(rate.to_string())),
            };
        }
        ScheduleExpr::Cron(text) => text,
    };
    let f = fields(text, "PingSource")?;
    if f.year.is_some() {
        return Err(ScheduleError::Year(text.to_string()));
    }
    let dom = if f.dom_restricted {
        f.day_of_month
    } else {
        "*"
    };
    let dow = f.days.unwrap_or_else(|| "*".to_owned());
    Ok(format!("{} {} {dom} {} {dow}", f.minute, f.hour, f.month))
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;

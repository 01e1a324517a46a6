//! The attribute's own literal grammar: durations (`"10s"`, `"1m30s"`, `"14d"`) and "did you mean"
//! hints.
//! The rules the runtime and the emulator share (names, routes, methods, schedules, limits) live in
//! `fnkit-spec`; each check returns the message the caller spans under the literal.

use fnkit_spec::durable::{EXECUTION_TIMEOUT_SECS, RETENTION_DAYS};
use fnkit_spec::manifest::{MAX_EVENT_AGE_SECS, TIMEOUT_SECS};

/// Parses `"10s"`, `"500ms"`, `"2m"`, `"1m30s"`, `"1h"`, `"7d"` into milliseconds.
pub(crate) fn duration_ms(text: &str) -> Result<u64, String> {
    let bad = || {
        format!("`{text}` is not a duration; write a number and a unit, e.g. \"10s\", \"500ms\" or \"2m\"")
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 1,
            "s" | "sec" | "secs" => 1_000,
            "m" | "min" | "mins" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        total = value
            .checked_mul(scale)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = rest[unit_len..].trim_start();
    }
    Ok(total)
}

/// A duration in whole seconds within `range`, as Lambda counts `key`; `range_text` says the
/// range in the attribute's own words.
fn whole_secs(
    text: &str,
    key: &str,
    range: std::ops::RangeInclusive<u32>,
    range_text: &str,
) -> Result<u32, String> {
    let ms = duration_ms(text)?;
    if ms % 1000 != 0 {
        return Err(format!(
            "{key} `{text}` is not a whole number of seconds; Lambda counts it in seconds"
        ));
    }
    u32::try_from(ms / 1000)
        .ok()
        .filter(|secs| range.contains(secs))
        .ok_or_else(|| {
            format!("{key} `{text}` is out of range; use {range_text}, as Lambda allows")
        })
}

/// An asynchronous event's maximum age: whole seconds from 60 (1m) to 21,600 (6h), as Lambda's
/// `MaximumEventAgeInSeconds` accepts.
pub(crate) fn max_event_age_secs(text: &str) -> Result<u32, String> {
    whole_secs(text, "max_event_age", MAX_EVENT_AGE_SECS, "1m to 6h")
}

/// A function timeout: whole seconds from 1 to 900, as Lambda accepts.
pub(crate) fn timeout_secs(text: &str) -> Result<u32, String> {
    whole_secs(text, "timeout", TIMEOUT_SECS, "1s to 900s (15m)")
}

/// A durable execution's timeout (`DurableConfig.ExecutionTimeout`): whole seconds from 1 to
/// 31,622,400 (366 days).
pub(crate) fn execution_timeout_secs(text: &str) -> Result<u32, String> {
    whole_secs(
        text,
        "durable timeout",
        EXECUTION_TIMEOUT_SECS,
        "1s to 366d",
    )
}

/// How long an ended execution's history is kept (`DurableConfig.RetentionPeriodInDays`): whole
/// days from 1 to 90.
pub(crate) fn retention_days(text: &str) -> Result<u32, String> {
    let ms = duration_ms(text)?;
    let day = 86_400_000;
    if ms % day != 0 {
        return Err(format!(
            "retention `{text}` is not a whole number of days; Lambda keeps history for 1d to 90d"
        ));
    }
    u32::try_from(ms / day)
        .ok()
        .filter(|days| RETENTION_DAYS.contains(days))
        .ok_or_else(|| {
            format!("retention `{text}` is out of range; use 1d to 90d, as Lambda allows")
        })
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = if ca == *cb {
                    prev
                } else {
                    1 + prev.min(row[j]).min(row[j + 1])
                };
                prev = cur;
            }
        }
        row[b.len()]
    }
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= 2 && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_units_and_sums() {
        assert_eq!(duration_ms("10s"), Ok(10_000));
        assert_eq!(duration_ms("500ms"), Ok(500));
        assert_eq!(duration_ms("1m30s"), Ok(90_000));
        assert_eq!(duration_ms("1d12h"), Ok(129_600_000));
        assert!(duration_ms("10").is_err());
        assert!(duration_ms("ten seconds").is_err());
        assert!(duration_ms("").is_err());
    }

    #[test]
    fn timeouts_are_whole_seconds_in_lambda_range() {
        assert_eq!(timeout_secs("15m"), Ok(900));
        assert!(timeout_secs("1500ms").is_err());
        assert!(timeout_secs("901s").is_err());
        assert!(timeout_secs("0s").is_err());
    }

    #[test]
    fn durable_settings_are_in_lambda_range() {
        assert_eq!(execution_timeout_secs("366d"), Ok(31_622_400));
        assert!(execution_timeout_secs("367d").is_err());
        assert!(execution_timeout_secs("1500ms").is_err());
        assert_eq!(retention_days("14d"), Ok(14));
        assert!(retention_days("91d").is_err());
        assert!(retention_days("36h").is_err());
        assert!(retention_days("0d").is_err());
    }

    #[test]
    fn closest_suggests_near_keys() {
        assert_eq!(closest("timout", &["timeout", "memory"]), Some("timeout"));
        assert_eq!(closest("zzz", &["timeout", "memory"]), None);
    }
}

//! Turns the attribute's string literals into checked values: durations, cron and rate schedules,
//! HTTP methods and routes, and the names the platforms accept. Each check returns the message the
//! caller spans under the literal.

use std::str::FromStr;

/// Parses `"10s"`, `"500ms"`, `"2m"`, `"1m30s"` into milliseconds.
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

/// A function timeout: whole seconds from 1 to 900, as Lambda accepts.
pub(crate) fn timeout_secs(text: &str) -> Result<u32, String> {
    let ms = duration_ms(text)?;
    if ms % 1000 != 0 {
        return Err(format!(
            "timeout `{text}` is not a whole number of seconds; Lambda counts timeouts in seconds"
        ));
    }
    let secs = ms / 1000;
    if !(1..=900).contains(&secs) {
        return Err(format!(
            "timeout `{text}` is out of range; use 1s to 900s (15m), as Lambda allows"
        ));
    }
    Ok(secs as u32)
}

/// The unit of an EventBridge rate expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RateUnit {
    Minutes,
    Hours,
    Days,
}

/// Parses an EventBridge rate: `"5 minutes"`, `"1 hour"`, `"2 days"`.
pub(crate) fn rate(text: &str) -> Result<(u32, RateUnit), String> {
    let bad = || {
        format!("`{text}` is not a rate; write a count and a unit, e.g. \"5 minutes\", \"1 hour\" or \"1 day\"")
    };
    let mut parts = text.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let value: u32 = value.parse().map_err(|_| bad())?;
    if value == 0 {
        return Err(format!("rate `{text}` must be at least 1"));
    }
    let unit = match unit {
        "minute" | "minutes" => RateUnit::Minutes,
        "hour" | "hours" => RateUnit::Hours,
        "day" | "days" => RateUnit::Days,
        "second" | "seconds" => {
            return Err(format!(
                "rate `{text}`: rates count minutes, hours or days, as EventBridge does; for a sub-minute schedule use `cron` with a seconds field"
            ))
        }
        _ => return Err(bad()),
    };
    Ok((value, unit))
}

/// Checks a cron expression with a seconds field (`sec min hour day-of-month month day-of-week [year]`).
pub(crate) fn cron(text: &str) -> Result<(), String> {
    let fields = text.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "cron `{text}` has {fields} fields; fnkit's cron has 6 or 7: sec min hour day-of-month month day-of-week [year], e.g. \"0 */5 * * * *\""
        ));
    }
    cron::Schedule::from_str(text).map(|_| ()).map_err(|e| {
        // The cron crate draws a caret under the field on extra lines; keep its last line.
        let detail = e.to_string();
        let reason = detail
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or_default()
            .to_owned();
        format!(
            "invalid cron expression `{text}`: {}",
            reason.trim_end_matches('.')
        )
    })
}

pub(crate) const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// An HTTP method, upper-cased; `ANY` (or `*`) matches every method.
pub(crate) fn method(text: &str) -> Result<String, String> {
    let upper = text.to_ascii_uppercase();
    let upper = if upper == "*" {
        "ANY".to_owned()
    } else {
        upper
    };
    if METHODS.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(format!(
            "`{text}` is not an HTTP method; use one of {}",
            METHODS.join(", ")
        ))
    }
}

/// An HTTP route: `/`, `/users/{id}`, `/files/{path+}` (a greedy parameter, last only).
pub(crate) fn route(text: &str) -> Result<(), String> {
    if !text.starts_with('/') {
        return Err(format!("route `{text}` must start with `/`"));
    }
    if text.contains(['?', '#']) {
        return Err(format!("route `{text}` must not hold a query or fragment; read query parameters from the request"));
    }
    if text == "/" {
        return Ok(());
    }
    let segments: Vec<&str> = text[1..].split('/').collect();
    let mut params: Vec<&str> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if segment.is_empty() {
            if last {
                return Err(format!("route `{text}` must not end with `/`"));
            }
            return Err(format!("route `{text}` has an empty segment (`//`)"));
        }
        if let Some(inner) = segment.strip_prefix('{') {
            let Some(inner) = inner.strip_suffix('}') else {
                return Err(format!("route `{text}`: segment `{segment}` opens `{{` without closing it; a parameter is a whole segment, e.g. `/users/{{id}}`"));
            };
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(name) => (name, true),
                None => (inner, false),
            };
            if greedy && !last {
                return Err(format!(
                    "route `{text}`: the greedy parameter `{{{inner}}}` must be the last segment"
                ));
            }
            let ident_like = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !ident_like {
                return Err(format!("route `{text}`: `{{{inner}}}` is not a parameter name; use letters, digits and `_`"));
            }
            if params.contains(&name) {
                return Err(format!("route `{text}` names the parameter `{name}` twice"));
            }
            params.push(name);
        } else if segment.contains(['{', '}']) {
            return Err(format!("route `{text}`: segment `{segment}` mixes text and a parameter; a parameter is a whole segment, e.g. `/users/{{id}}`"));
        } else if !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c))
        {
            return Err(format!("route `{text}`: segment `{segment}` has characters a URL path cannot hold unescaped"));
        }
    }
    Ok(())
}

/// A function name as Lambda accepts it: 1 to 64 letters, digits, `-` and `_`.
pub(crate) fn function_name(text: &str) -> Result<(), String> {
    if text.is_empty()
        || text.len() > 64
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "function name `{text}` must be 1 to 64 letters, digits, `-` or `_`, as Lambda accepts"
        ));
    }
    Ok(())
}

/// A bucket name as S3 accepts it: 3 to 63 lower-case letters, digits, `.` and `-`.
pub(crate) fn bucket_name(text: &str) -> Result<(), String> {
    let ok = (3..=63).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!("bucket `{text}` is not a valid bucket name; use 3 to 63 lower-case letters, digits, `.` or `-`, starting and ending with a letter or digit"))
    }
}

/// A queue name as SQS accepts it: 1 to 80 letters, digits, `-` and `_` (`.fifo` may end it).
pub(crate) fn queue_name(text: &str) -> Result<(), String> {
    let stem = text.strip_suffix(".fifo").unwrap_or(text);
    if stem.is_empty()
        || text.len() > 80
        || !stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "queue `{text}` is not a valid queue name; use 1 to 80 letters, digits, `-` or `_`"
        ));
    }
    Ok(())
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
    fn rates_follow_eventbridge() {
        assert_eq!(rate("5 minutes"), Ok((5, RateUnit::Minutes)));
        assert_eq!(rate("1 day"), Ok((1, RateUnit::Days)));
        assert!(rate("30 seconds").unwrap_err().contains("cron"));
        assert!(rate("0 hours").is_err());
        assert!(rate("5").is_err());
    }

    #[test]
    fn cron_needs_a_seconds_field() {
        assert!(cron("0 */5 * * * *").is_ok());
        assert!(cron("*/5 * * * *").unwrap_err().contains("5 fields"));
        assert!(cron("0 61 * * * *").is_err());
    }

    #[test]
    fn routes_are_checked() {
        assert!(route("/").is_ok());
        assert!(route("/hello/{name}").is_ok());
        assert!(route("/files/{path+}").is_ok());
        assert!(route("hello").is_err());
        assert!(route("/a//b").is_err());
        assert!(route("/a/{id").is_err());
        assert!(route("/a/{p+}/b").is_err());
        assert!(route("/a/{id}/{id}").is_err());
        assert!(route("/a/x{id}").is_err());
        assert!(route("/a?b=1").is_err());
    }

    #[test]
    fn methods_are_normalised() {
        assert_eq!(method("get"), Ok("GET".to_owned()));
        assert_eq!(method("*"), Ok("ANY".to_owned()));
        assert!(method("FETCH").is_err());
    }

    #[test]
    fn closest_suggests_near_keys() {
        assert_eq!(closest("timout", &["timeout", "memory"]), Some("timeout"));
        assert_eq!(closest("zzz", &["timeout", "memory"]), None);
    }
}

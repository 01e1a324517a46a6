//! Schedules: checks, next firings, and the translations to each target's documented numbering.

use super::*;
use chrono::{Datelike, TimeZone};

fn cron(text: &str) -> ScheduleExpr {
    ScheduleExpr::cron(text).unwrap()
}

/// The weekday the emulator fires `expr` on next, from a Saturday.
fn local_weekday(expr: &ScheduleExpr) -> &'static str {
    let saturday = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
    let next = expr.next_after(saturday, saturday).unwrap();
    DAY_NAMES[next.weekday().num_days_from_sunday() as usize]
}

#[test]
fn numeric_days_follow_the_cron_crate_and_become_names() {
    // The bug this module fixes: `2` is Monday for the cron crate (1 = Sunday) but Tuesday
    // for Unix cron and PingSource (0 = Sunday), so the field must never be copied.
    let monday = cron("0 30 9 * * 2");
    assert_eq!(local_weekday(&monday), "MON");
    assert_eq!(knative_cron(&monday).unwrap(), "30 9 * * MON");
    // EventBridge numbers 1 = SUN as the crate does; names say the same without doubt.
    assert_eq!(
        eventbridge_expression(&monday).unwrap(),
        "cron(30 9 ? * MON *)"
    );
    let sunday = cron("0 0 12 * * 1");
    assert_eq!(local_weekday(&sunday), "SUN");
    assert_eq!(knative_cron(&sunday).unwrap(), "0 12 * * SUN");
    let saturday = cron("0 0 12 * * 7");
    assert_eq!(local_weekday(&saturday), "SAT");
    assert_eq!(knative_cron(&saturday).unwrap(), "0 12 * * SAT");
}

#[test]
fn named_days_ranges_and_lists_translate() {
    let weekdays = cron("0 0 8 * * Mon-Fri");
    assert_eq!(local_weekday(&weekdays), "MON");
    assert_eq!(knative_cron(&weekdays).unwrap(), "0 8 * * MON-FRI");
    assert_eq!(
        eventbridge_expression(&weekdays).unwrap(),
        "cron(0 8 ? * MON-FRI *)"
    );
    let two = cron("0 0 8 * * SUN,WED");
    assert_eq!(knative_cron(&two).unwrap(), "0 8 * * SUN,WED");
    let numeric_range = cron("0 0 8 * * 2-6");
    assert_eq!(knative_cron(&numeric_range).unwrap(), "0 8 * * MON-FRI");
    let weekend = cron("0 0 8 * * 1,7");
    assert_eq!(knative_cron(&weekend).unwrap(), "0 8 * * SUN,SAT");
}

#[test]
fn other_fields_and_rates_translate() {
    let every_5 = cron("0 */5 * * * *");
    assert_eq!(knative_cron(&every_5).unwrap(), "*/5 * * * *");
    assert_eq!(
        eventbridge_expression(&every_5).unwrap(),
        "cron(0/5 * * * ? *)"
    );
    let monthly = cron("0 0 3 1 * *");
    assert_eq!(knative_cron(&monthly).unwrap(), "0 3 1 * *");
    assert_eq!(
        eventbridge_expression(&monthly).unwrap(),
        "cron(0 3 1 * ? *)"
    );
    let rate = ScheduleExpr::Rate("1 day".parse().unwrap());
    assert_eq!(eventbridge_expression(&rate).unwrap(), "rate(1 day)");
    assert_eq!(knative_cron(&rate).unwrap(), "0 0 * * *");
    let six_hours = ScheduleExpr::Rate("6 hours".parse().unwrap());
    assert_eq!(knative_cron(&six_hours).unwrap(), "0 */6 * * *");
    // `*/7` minutes would fire at :56 and again at :00; `*/2` days on the 31st and the 1st.
    for inexact in ["90 minutes", "7 minutes", "5 hours", "2 days"] {
        let rate = ScheduleExpr::Rate(inexact.parse().unwrap());
        assert!(
            matches!(knative_cron(&rate), Err(ScheduleError::NoCronEquivalent(_))),
            "{inexact}"
        );
    }
}

#[test]
fn undeployable_crons_are_refused() {
    assert!(matches!(
        knative_cron(&cron("*/10 * * * * *")),
        Err(ScheduleError::SubMinute { .. })
    ));
    // Both day fields: refused where it is written, not first when packaged.
    assert!(matches!(
        ScheduleExpr::cron("0 0 8 1 * MON"),
        Err(ScheduleError::BothDays { .. })
    ));
    let manifest_only = ScheduleExpr::Cron("0 0 8 1 * MON".into());
    assert!(matches!(
        manifest_only.check(),
        Err(ScheduleError::BothDays { .. })
    ));
    // The issue's cases: a day-of-week step and a `?` compile, run and package to one meaning.
    assert_eq!(
        eventbridge_expression(&cron("0 0 12 * * */2")).unwrap(),
        "cron(0 12 ? * SUN,TUE,THU,SAT *)"
    );
    assert_eq!(
        knative_cron(&cron("0 0 12 * * */2")).unwrap(),
        "0 12 * * SUN,TUE,THU,SAT"
    );
    assert_eq!(
        eventbridge_expression(&cron("0 0 12 ? * MON")).unwrap(),
        "cron(0 12 ? * MON *)"
    );
    assert!(matches!(
        knative_cron(&cron("0 0 8 * * * 2027")),
        Err(ScheduleError::Year(_))
    ));
}

#[test]
fn cron_and_rate_are_checked() {
    assert!(matches!(
        ScheduleExpr::cron("*/5 * * * *"),
        Err(ScheduleError::CronFields { fields: 5, .. })
    ));
    assert!(ScheduleExpr::cron("0 61 * * * *").is_err());
    assert_eq!("1 day".parse::<Rate>(), Ok(Rate::new(1, RateUnit::Days)));
    assert!(matches!(
        "0 hours".parse::<Rate>(),
        Err(ScheduleError::RateZero(_))
    ));
    assert!(matches!(
        "30 seconds".parse::<Rate>(),
        Err(ScheduleError::RateSeconds(_))
    ));
    assert!("5".parse::<Rate>().is_err());
    assert!("5 fortnights".parse::<Rate>().is_err());
}

#[test]
fn next_firing_of_cron_and_rate() {
    let t = Utc.with_ymd_and_hms(2026, 11, 27, 10, 3, 7).unwrap();
    assert_eq!(
        cron("0 */5 * * * *").next_after(t, t),
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 5, 0).unwrap())
    );
    let rate = ScheduleExpr::Rate("5 minutes".parse().unwrap());
    assert_eq!(
        rate.next_after(t, t),
        Some(t + chrono::Duration::minutes(5))
    );
    assert_eq!(
        rate.next_after(t + chrono::Duration::minutes(7), t),
        Some(t + chrono::Duration::minutes(10))
    );
}

#[test]
fn rates_keep_their_manifest_form() {
    let rate = ScheduleExpr::Rate(Rate::new(1, RateUnit::Hours));
    let json = serde_json::to_string(&rate).unwrap();
    assert_eq!(json, r#"{"rate":"1 hour"}"#);
    assert_eq!(serde_json::from_str::<ScheduleExpr>(&json).unwrap(), rate);
    assert!(serde_json::from_str::<ScheduleExpr>(r#"{"rate":"0 hours"}"#).is_err());
}

//! The argument parser on token streams, without a compiler in the loop: typed values in, every
//! independent mistake reported once.

use fnkit_spec::manifest::{Rate, RateUnit, ScheduleExpr, StorageEvents, Trigger};
use quote::quote;

use super::Args;
use crate::errors::Errors;

fn parse(tokens: proc_macro2::TokenStream) -> (Args, Vec<String>) {
    let mut errors = Errors::default();
    let args = Args::parse(tokens, &mut errors);
    (args, errors.messages())
}

#[test]
fn defaults_are_lambdas() {
    let (args, errors) = parse(quote!());
    assert!(errors.is_empty());
    assert_eq!(args.trigger, Some(Trigger::Event));
    assert_eq!(
        (args.timeout_secs, args.memory_mb, args.retries),
        (3, 128, 2)
    );
    assert_eq!(args.concurrency, None);
    assert_eq!(args.max_event_age_secs, 21_600);
    assert_eq!(args.ephemeral_mb, 512);
}

#[test]
fn max_event_age_is_lambdas_range_in_whole_seconds() {
    let (args, errors) = parse(quote!(max_event_age = "1h30m"));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(args.max_event_age_secs, 5_400);
    for (text, says) in [
        ("30s", "out of range; use 1m to 6h"),
        ("7h", "out of range; use 1m to 6h"),
        ("90500ms", "not a whole number of seconds"),
    ] {
        let (args, errors) = parse(quote!(max_event_age = #text));
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        assert!(errors[0].contains(says), "{text}: {errors:?}");
        assert_eq!(args.max_event_age_secs, 21_600);
    }
}

#[test]
fn every_key_becomes_a_typed_value() {
    let (args, errors) = parse(quote!(
        trigger = queue(
            name = "orders",
            batch_size = 50,
            window = "2s",
            max_receive_count = 5
        ),
        name = "take-orders",
        timeout = "1m30s",
        memory = 512,
        concurrency = 4,
        retries = 0,
        ephemeral_storage = 2048,
        crate = "my_fnkit"
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        args.trigger,
        Some(Trigger::Queue {
            name: "orders".into(),
            batch_size: 50,
            window_ms: 2000,
            max_receive_count: 5
        })
    );
    assert_eq!(args.name.unwrap().value(), "take-orders");
    assert_eq!((args.timeout_secs, args.memory_mb), (90, 512));
    assert_eq!((args.concurrency, args.retries), (Some(4), 0));
    assert_eq!(args.ephemeral_mb, 2048);
    assert!(args.krate.is_some());
}

#[test]
fn triggers_parse_with_their_defaults() {
    let trigger = |tokens| parse(tokens).0.trigger.unwrap();
    assert_eq!(
        trigger(quote!(trigger = http(path = "/a/{id}"))),
        Trigger::Http {
            method: "ANY".into(),
            path: "/a/{id}".into()
        }
    );
    assert_eq!(
        trigger(quote!(
            trigger = storage(bucket = "uploads", suffix = ".png")
        )),
        Trigger::Storage {
            bucket: "uploads".into(),
            prefix: None,
            suffix: Some(".png".into()),
            events: StorageEvents::Created
        }
    );
    assert_eq!(
        trigger(quote!(trigger = schedule(rate = "1 hour"))),
        Trigger::Schedule(ScheduleExpr::Rate(Rate::new(1, RateUnit::Hours)))
    );
    assert_eq!(
        trigger(quote!(trigger = schedule(cron = "0 0 8 * * MON"))),
        Trigger::Schedule(ScheduleExpr::Cron("0 0 8 * * MON".into()))
    );
}

#[test]
fn independent_mistakes_are_all_reported_once() {
    let (args, errors) = parse(quote!(
        timout = "3s",
        memory = 64,
        trigger = http(method = "FETCH", path = "/users/:id"),
        retries = 3,
        retries = 1
    ));
    assert_eq!(errors.len(), 6, "{errors:#?}");
    assert!(errors[0].contains("did you mean `timeout`"));
    assert!(errors[1].contains("`memory` must be from 128 to 10240"));
    assert!(errors[2].contains("`FETCH` is not an HTTP method"));
    assert!(errors[3].contains("write the parameter as `{id}`"));
    assert!(errors[4].contains("`retries` must be from 0 to 2"));
    assert_eq!(errors[5], "duplicate key `retries`");
    assert_eq!(args.trigger, None);
    // A duplicate is reported once, at the second; the first value stands.
    let (args, errors) = parse(quote!(memory = 256, memory = 512));
    assert_eq!(errors, ["duplicate key `memory`"]);
    assert_eq!(args.memory_mb, 256);
}

#[test]
fn trigger_options_are_checked() {
    let errors = |tokens| parse(tokens).1;
    assert!(errors(quote!(trigger = queue(name = "q", batch_size = 100)))[0].contains("window"));
    assert!(errors(quote!(
        trigger = schedule(cron = "0 * * * *", rate = "1 day")
    ))[0]
        .contains("not both"));
    assert!(errors(quote!(trigger = storage(prefix = "a/")))[0].contains("needs a bucket"));
    assert!(errors(quote!(trigger = event(x = 1)))[0].contains("takes no options"));
    assert!(errors(quote!(trigger = htp(path = "/")))[0].contains("did you mean `http`"));
    assert!(errors(quote!(trigger = http(path)))[0].contains("needs a value"));
}

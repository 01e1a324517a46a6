//! `trigger = event | http(...) | storage(...) | queue(...) | schedule(...)`: the trigger's name,
//! then its options, each checked against the rules in `fnkit-spec` and spanned under its value.

use fnkit_spec::manifest::{self as spec, ScheduleExpr, StorageEvents, Trigger};
use fnkit_spec::{names, route};
use syn::Expr;

use super::literals::{checked, entries, first_time, lit_int, lit_str, rule, unknown_key};
use crate::errors::Errors;
use crate::values;

const TRIGGERS: &[&str] = &["http", "storage", "queue", "schedule", "event"];

/// A trigger's options as written: each key once, with its value (if it has one).
struct Options<'a> {
    /// The whole trigger expression, for errors about what is missing.
    expr: &'a Expr,
    /// `http(...)` rather than a bare `http`.
    is_call: bool,
    given: Vec<(String, Option<&'a Expr>)>,
}

impl<'a> Options<'a> {
    fn get(&self, key: &str) -> Option<&'a Expr> {
        self.given
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| *v)
    }
}

/// The keys each trigger takes.
fn keys_of(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "event" => &[],
        "http" => &["method", "path"],
        "storage" => &["bucket", "prefix", "suffix", "events"],
        "queue" => &["name", "batch_size", "window", "max_receive_count"],
        "schedule" => &["cron", "rate"],
        _ => return None,
    })
}

/// Parses a trigger; `None` when it did not parse (every reason is recorded in `errors`).
pub(super) fn parse(expr: &Expr, errors: &mut Errors) -> Option<Trigger> {
    let (name_expr, list): (&Expr, Vec<&Expr>) = match expr {
        Expr::Call(call) => (&call.func, call.args.iter().collect()),
        Expr::Path(_) => (expr, Vec::new()),
        _ => {
            errors.spanned(expr, "expected a trigger: `event`, `http(...)`, `storage(...)`, `queue(...)` or `schedule(...)`");
            return None;
        }
    };
    let Some(name) = (match name_expr {
        Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        _ => None,
    }) else {
        let m = "expected a trigger name: `event`, `http`, `storage`, `queue` or `schedule`";
        errors.spanned(name_expr, m);
        return None;
    };
    let Some(keys) = keys_of(&name) else {
        let hint = values::closest(&name, TRIGGERS)
            .map(|t| format!("; did you mean `{t}`?"))
            .unwrap_or_default();
        errors.spanned(name_expr, format!("unknown trigger `{name}`{hint}\nexpected one of: `http`, `storage`, `queue`, `schedule`, `event`"));
        return None;
    };
    let options = options(expr, &name, keys, list, errors);
    match name.as_str() {
        "http" => http(&options, errors),
        "storage" => storage(&options, errors),
        "queue" => queue(&options, errors),
        "schedule" => schedule(&options, errors),
        _ => Some(Trigger::Event),
    }
}

/// Reads `key = value` options, refusing unknown, duplicate and value-less keys.
fn options<'a>(
    expr: &'a Expr,
    name: &str,
    keys: &[&str],
    list: Vec<&'a Expr>,
    errors: &mut Errors,
) -> Options<'a> {
    let context = format!("the {name} trigger");
    let mut seen = Vec::new();
    let mut given = Vec::new();
    for entry in entries(list, &context, errors) {
        if !keys.contains(&entry.key.as_str()) {
            if keys.is_empty() {
                errors.spanned(entry.key_span, "the event trigger takes no options");
            } else {
                unknown_key(&entry, keys, &context, errors);
            }
            continue;
        }
        if !first_time(&mut seen, &entry, errors) {
            continue;
        }
        if entry.value.is_none() {
            let (key, example) = (&entry.key, option_example(&entry.key));
            let m = format!("`{key}` needs a value: `{key} = {example}`");
            errors.spanned(entry.key_span, m);
        }
        given.push((entry.key, entry.value));
    }
    Options {
        expr,
        is_call: matches!(expr, Expr::Call(_)),
        given,
    }
}

fn http(o: &Options<'_>, errors: &mut Errors) -> Option<Trigger> {
    let method = match o.get("method") {
        Some(v) => lit_str(v, "method", "GET", errors)
            .and_then(|l| checked(&l, |s| rule(route::method(s)), errors)),
        None => Some("ANY".to_owned()),
    };
    let path = match o.get("path") {
        Some(v) => lit_str(v, "path", "/hello", errors).and_then(|l| {
            checked(
                &l,
                |s| rule(route::Route::parse(s).map(|_| s.to_owned())),
                errors,
            )
        }),
        None => {
            let msg = if o.is_call {
                "the http trigger needs a route: add `path = \"/...\"`"
            } else {
                "the http trigger needs a route: `http(path = \"/...\")`"
            };
            errors.spanned(o.expr, msg);
            None
        }
    };
    Some(Trigger::Http {
        method: method?.into(),
        path: path?.into(),
    })
}

fn storage(o: &Options<'_>, errors: &mut Errors) -> Option<Trigger> {
    let bucket = match o.get("bucket") {
        Some(v) => lit_str(v, "bucket", "uploads", errors).and_then(|l| {
            checked(
                &l,
                |s| rule(names::bucket_name(s).map(|()| s.to_owned())),
                errors,
            )
        }),
        None => {
            let m = "the storage trigger needs a bucket: `storage(bucket = \"uploads\")`";
            errors.spanned(o.expr, m);
            None
        }
    };
    let prefix = o
        .get("prefix")
        .and_then(|v| lit_str(v, "prefix", "images/", errors))
        .map(|l| l.value().into());
    let suffix = o
        .get("suffix")
        .and_then(|v| lit_str(v, "suffix", ".png", errors))
        .map(|l| l.value().into());
    let events = match o.get("events") {
        Some(v) => lit_str(v, "events", "created", errors).and_then(|l| {
            checked(&l, |s| match s {
                "created" => Ok(StorageEvents::Created),
                "deleted" => Ok(StorageEvents::Deleted),
                "all" => Ok(StorageEvents::All),
                other => Err(format!("`{other}` is not a storage event kind; use \"created\", \"deleted\" or \"all\"")),
            }, errors)
        }),
        None => Some(StorageEvents::Created),
    };
    Some(Trigger::Storage {
        bucket: bucket?.into(),
        prefix,
        suffix,
        events: events?,
    })
}

fn queue(o: &Options<'_>, errors: &mut Errors) -> Option<Trigger> {
    let name = match o.get("name") {
        Some(v) => lit_str(v, "name", "orders", errors).and_then(|l| {
            checked(
                &l,
                |s| rule(names::queue_name(s).map(|()| s.to_owned())),
                errors,
            )
        }),
        None => {
            let m = "the queue trigger needs a queue name: `queue(name = \"orders\")`";
            errors.spanned(o.expr, m);
            None
        }
    };
    let batch_size = match o.get("batch_size") {
        Some(v) => lit_int(v, "batch_size", spec::BATCH_SIZE, errors),
        None => Some(10),
    };
    let window = o.get("window");
    let window_ms = match window {
        Some(v) => lit_str(v, "window", "1s", errors).and_then(|l| {
            checked(&l, |s| match values::duration_ms(s)? {
                ms if ms <= u64::from(*spec::WINDOW_MS.end()) => Ok(ms as u32),
                _ => Err(format!("window `{s}` is out of range; use 0s to 300s (5m), as SQS event sources allow")),
            }, errors)
        }),
        None => Some(0),
    };
    if let (Some(size), Some(ms)) = (batch_size, window_ms) {
        if size > spec::BATCH_WITHOUT_WINDOW && ms < 1000 {
            let span: &dyn quote::ToTokens = match window {
                Some(v) => v,
                None => o.expr,
            };
            errors.spanned(span, format!("a batch_size of {size} needs `window = \"1s\"` or more, as SQS requires for batches over 10"));
        }
    }
    let max_receive_count = match o.get("max_receive_count") {
        Some(v) => lit_int(v, "max_receive_count", spec::MAX_RECEIVE_COUNT, errors),
        None => Some(3),
    };
    Some(Trigger::Queue {
        name: name?.into(),
        batch_size: batch_size?,
        window_ms: window_ms?,
        max_receive_count: max_receive_count?,
    })
}

fn schedule(o: &Options<'_>, errors: &mut Errors) -> Option<Trigger> {
    match (o.get("cron"), o.get("rate")) {
        (Some(_), Some(r)) => {
            errors.spanned(r, "a schedule takes `cron` or `rate`, not both");
            None
        }
        (Some(c), None) => {
            let lit = lit_str(c, "cron", "0 */5 * * * *", errors)?;
            let expr = checked(&lit, |s| rule(ScheduleExpr::cron(s)), errors)?;
            Some(Trigger::Schedule(expr))
        }
        (None, Some(r)) => {
            let lit = lit_str(r, "rate", "5 minutes", errors)?;
            let rate = checked(&lit, |s| rule(s.parse()), errors)?;
            Some(Trigger::Schedule(ScheduleExpr::Rate(rate)))
        }
        (None, None) => {
            errors.spanned(
                o.expr,
                "the schedule trigger needs `cron = \"0 */5 * * * *\"` or `rate = \"5 minutes\"`",
            );
            None
        }
    }
}

/// An example value for a trigger option, for "needs a value" errors.
fn option_example(key: &str) -> &'static str {
    match key {
        "method" => "\"GET\"",
        "path" => "\"/hello\"",
        "bucket" => "\"uploads\"",
        "prefix" => "\"images/\"",
        "suffix" => "\".png\"",
        "events" => "\"created\"",
        "name" => "\"orders\"",
        "batch_size" => "10",
        "window" => "\"1s\"",
        "max_receive_count" => "3",
        "cron" => "\"0 */5 * * * *\"",
        _ => "\"5 minutes\"",
    }
}

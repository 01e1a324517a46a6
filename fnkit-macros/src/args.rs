//! Reads `#[function(...)]` into [`Args`]: every key checked and typed, every mistake spanned.
//!
//! The attribute is first parsed loosely, as comma-separated `key = value` expressions, and then
//! each key is interpreted on its own. Unlike a `lookahead1` parser, which stops at the first bad
//! key, this reports every independent mistake in one compile.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Token};

use crate::errors::Errors;
use fnkit_spec::manifest::{self as spec, ScheduleExpr, StorageEvents, Trigger};
use fnkit_spec::{names, route};

use crate::values;

const KEYS: &[&str] = &[
    "trigger",
    "name",
    "timeout",
    "memory",
    "concurrency",
    "retries",
    "crate",
];
const TRIGGERS: &[&str] = &["http", "storage", "queue", "schedule", "event"];

/// The attribute, checked. Values that failed a check are left at their defaults; the error is in
/// the [`Errors`] that came with them.
pub(crate) struct Args {
    /// `None` when the trigger did not parse (its error is recorded).
    pub trigger: Option<Trigger>,
    /// Span of the trigger's value, to point signature errors at.
    pub trigger_span: Option<Span>,
    pub name: Option<LitStr>,
    pub timeout_secs: u32,
    pub memory_mb: u32,
    pub concurrency: Option<u32>,
    pub retries: u32,
    pub krate: Option<syn::Path>,
}

/// The loosely parsed attribute: `key = value, ...`.
struct RawArgs(Punctuated<Expr, Token![,]>);

impl Parse for RawArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Punctuated::parse_terminated(input).map(RawArgs)
    }
}

/// One `key = value` (or a bare `key`), with the key's text.
struct Entry<'a> {
    key: String,
    key_span: &'a dyn quote::ToTokens,
    value: Option<&'a Expr>,
}

/// Splits an expression list into entries; anything that is not `key = value` or `key` is an error.
fn entries<'a>(
    exprs: impl IntoIterator<Item = &'a Expr>,
    what: &str,
    errors: &mut Errors,
) -> Vec<Entry<'a>> {
    let mut out = Vec::new();
    for expr in exprs {
        let (left, value) = match expr {
            Expr::Assign(assign) => (&*assign.left, Some(&*assign.right)),
            other => (other, None),
        };
        match left {
            Expr::Path(p)
                if p.qself.is_none() && p.path.segments.len() == 1 && p.attrs.is_empty() =>
            {
                let ident = &p.path.segments[0].ident;
                out.push(Entry {
                    key: ident.to_string(),
                    key_span: left,
                    value,
                });
            }
            _ => errors.spanned(expr, format!("expected `key = value` in {what}")),
        }
    }
    out
}

/// Rejects a key seen before, keeping the first.
fn first_time(seen: &mut Vec<String>, entry: &Entry<'_>, errors: &mut Errors) -> bool {
    if seen.contains(&entry.key) {
        errors.spanned(entry.key_span, format!("duplicate key `{}`", entry.key));
        false
    } else {
        seen.push(entry.key.clone());
        true
    }
}

fn unknown_key(entry: &Entry<'_>, keys: &[&str], context: &str, errors: &mut Errors) {
    let list = keys
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = values::closest(&entry.key, keys)
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    errors.spanned(
        entry.key_span,
        format!(
            "unknown key `{}` in {context}{hint}\nexpected one of: {list}",
            entry.key
        ),
    );
}

/// The value of `entry`, or an error when it was written as a bare key.
fn value<'a>(entry: &Entry<'a>, example: &str, errors: &mut Errors) -> Option<&'a Expr> {
    if entry.value.is_none() {
        errors.spanned(
            entry.key_span,
            format!("`{}` needs a value: `{} = {example}`", entry.key, entry.key),
        );
    }
    entry.value
}

fn lit_str(expr: &Expr, key: &str, example: &str, errors: &mut Errors) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.clone()),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => {
            let unit = if matches!(key, "timeout" | "window") {
                "s"
            } else {
                ""
            };
            errors.spanned(
                i,
                format!(
                    "`{key}` takes a string: `{key} = \"{}{unit}\"`",
                    i.base10_digits()
                ),
            );
            None
        }
        _ => {
            errors.spanned(
                expr,
                format!("`{key}` takes a string literal, e.g. `{key} = \"{example}\"`"),
            );
            None
        }
    }
}

fn lit_int(
    expr: &Expr,
    key: &str,
    range: std::ops::RangeInclusive<u32>,
    errors: &mut Errors,
) -> Option<u32> {
    let Expr::Lit(ExprLit {
        lit: Lit::Int(i), ..
    }) = expr
    else {
        let hint = match expr {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => format!(
                "`{key}` takes a number, not a string: `{key} = {}`",
                s.value()
                    .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c.is_whitespace())
            ),
            _ => format!("`{key}` takes an integer literal"),
        };
        errors.spanned(expr, hint);
        return None;
    };
    match i.base10_parse::<u32>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            errors.spanned(
                i,
                format!("`{key}` must be from {} to {}", range.start(), range.end()),
            );
            None
        }
    }
}

/// A shared rule's result with its error as the message to span.
fn rule<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

/// Checks a string with `check`, spanning its message under the literal.
fn checked<T>(
    lit: &LitStr,
    check: impl FnOnce(&str) -> Result<T, String>,
    errors: &mut Errors,
) -> Option<T> {
    check(&lit.value())
        .map_err(|msg| errors.spanned(lit, msg))
        .ok()
}

impl Args {
    pub(crate) fn parse(tokens: proc_macro2::TokenStream, errors: &mut Errors) -> Args {
        let mut args = Args {
            trigger: Some(Trigger::Event),
            trigger_span: None,
            name: None,
            timeout_secs: 3,
            memory_mb: 128,
            concurrency: None,
            retries: 2,
            krate: None,
        };
        let raw = match syn::parse2::<RawArgs>(tokens) {
            Ok(raw) => raw,
            Err(e) => {
                errors.push(e);
                return args;
            }
        };
        let mut seen = Vec::new();
        for entry in entries(&raw.0, "#[function(...)]", errors) {
            if !KEYS.contains(&entry.key.as_str()) {
                unknown_key(&entry, KEYS, "#[function(...)]", errors);
                continue;
            }
            if !first_time(&mut seen, &entry, errors) {
                continue;
            }
            match entry.key.as_str() {
                "trigger" => {
                    if let Some(v) = value(&entry, "http(path = \"/\")", errors) {
                        args.trigger_span = Some(v.span());
                        args.trigger = parse_trigger(v, errors);
                    }
                }
                "name" => {
                    let lit = value(&entry, "\"my-function\"", errors)
                        .and_then(|v| lit_str(v, "name", "my-function", errors));
                    if let Some(lit) = lit {
                        if checked(&lit, |s| rule(names::function_name(s)), errors).is_some() {
                            args.name = Some(lit);
                        }
                    }
                }
                "timeout" => {
                    let lit = value(&entry, "\"10s\"", errors)
                        .and_then(|v| lit_str(v, "timeout", "10s", errors));
                    if let Some(secs) =
                        lit.and_then(|lit| checked(&lit, values::timeout_secs, errors))
                    {
                        args.timeout_secs = secs;
                    }
                }
                "memory" => {
                    if let Some(mb) = value(&entry, "512", errors)
                        .and_then(|v| lit_int(v, "memory", spec::MEMORY_MB, errors))
                    {
                        args.memory_mb = mb;
                    }
                }
                "concurrency" => {
                    args.concurrency = value(&entry, "10", errors)
                        .and_then(|v| lit_int(v, "concurrency", spec::CONCURRENCY, errors));
                }
                "retries" => {
                    if let Some(n) = value(&entry, "2", errors)
                        .and_then(|v| lit_int(v, "retries", spec::RETRIES, errors))
                    {
                        args.retries = n;
                    }
                }
                "crate" => {
                    let lit = value(&entry, "\"fnkit\"", errors)
                        .and_then(|v| lit_str(v, "crate", "fnkit", errors));
                    if let Some(lit) = lit {
                        match lit.parse::<syn::Path>() {
                            Ok(path) => args.krate = Some(path),
                            Err(_) => errors.spanned(
                                &lit,
                                format!("`{}` is not a path to the fnkit crate", lit.value()),
                            ),
                        }
                    }
                }
                _ => unreachable!("KEYS lists every key"),
            }
        }
        args
    }
}

/// `event`, `http(...)`, `storage(...)`, `queue(...)` or `schedule(...)`.
fn parse_trigger(expr: &Expr, errors: &mut Errors) -> Option<Trigger> {
    let (name_expr, list): (&Expr, Vec<&Expr>) = match expr {
        Expr::Call(call) => (&call.func, call.args.iter().collect()),
        Expr::Path(_) => (expr, Vec::new()),
        _ => {
            errors.spanned(expr, "expected a trigger: `event`, `http(...)`, `storage(...)`, `queue(...)` or `schedule(...)`");
            return None;
        }
    };
    let name = match name_expr {
        Expr::Path(p) if p.path.get_ident().is_some() => p.path.get_ident().unwrap().to_string(),
        _ => {
            errors.spanned(
                name_expr,
                "expected a trigger name: `event`, `http`, `storage`, `queue` or `schedule`",
            );
            return None;
        }
    };
    let is_call = matches!(expr, Expr::Call(_));
    let mut seen = Vec::new();
    let mut opts: Vec<(String, &dyn quote::ToTokens, Option<&Expr>)> = Vec::new();
    let keys: &[&str] = match name.as_str() {
        "event" => &[],
        "http" => &["method", "path"],
        "storage" => &["bucket", "prefix", "suffix", "events"],
        "queue" => &["name", "batch_size", "window", "max_receive_count"],
        "schedule" => &["cron", "rate"],
        other => {
            let hint = values::closest(other, TRIGGERS)
                .map(|t| format!("; did you mean `{t}`?"))
                .unwrap_or_default();
            errors.spanned(name_expr, format!("unknown trigger `{other}`{hint}\nexpected one of: `http`, `storage`, `queue`, `schedule`, `event`"));
            return None;
        }
    };
    let context = format!("the {name} trigger");
    for entry in entries(list, &context, errors) {
        if !keys.contains(&entry.key.as_str()) {
            if keys.is_empty() {
                errors.spanned(entry.key_span, "the event trigger takes no options");
            } else {
                unknown_key(&entry, keys, &context, errors);
            }
            continue;
        }
        if first_time(&mut seen, &entry, errors) {
            if entry.value.is_none() {
                errors.spanned(
                    entry.key_span,
                    format!(
                        "`{}` needs a value: `{} = {}`",
                        entry.key,
                        entry.key,
                        option_example(&entry.key)
                    ),
                );
            }
            opts.push((entry.key, entry.key_span, entry.value));
        }
    }
    let get = |key: &str, _example: &str| -> Option<&Expr> {
        opts.iter()
            .find(|(k, _, _)| k == key)
            .and_then(|(_, _, v)| *v)
    };
    match name.as_str() {
        "event" => Some(Trigger::Event),
        "http" => {
            let method = match get("method", "\"GET\"") {
                Some(v) => lit_str(v, "method", "GET", errors)
                    .and_then(|l| checked(&l, |s| rule(route::method(s)), errors)),
                None => Some("ANY".to_owned()),
            };
            let path = match get("path", "\"/hello\"") {
                Some(v) => lit_str(v, "path", "/hello", errors).and_then(|l| {
                    checked(
                        &l,
                        |s| rule(route::Route::parse(s).map(|_| s.to_owned())),
                        errors,
                    )
                }),
                None => {
                    let msg = if is_call {
                        "the http trigger needs a route: add `path = \"/...\"`"
                    } else {
                        "the http trigger needs a route: `http(path = \"/...\")`"
                    };
                    errors.spanned(expr, msg);
                    None
                }
            };
            Some(Trigger::Http {
                method: method?.into(),
                path: path?.into(),
            })
        }
        "storage" => {
            let bucket = match get("bucket", "\"uploads\"") {
                Some(v) => lit_str(v, "bucket", "uploads", errors).and_then(|l| {
                    checked(
                        &l,
                        |s| rule(names::bucket_name(s).map(|()| s.to_owned())),
                        errors,
                    )
                }),
                None => {
                    errors.spanned(
                        expr,
                        "the storage trigger needs a bucket: `storage(bucket = \"uploads\")`",
                    );
                    None
                }
            };
            let prefix = get("prefix", "\"images/\"")
                .and_then(|v| lit_str(v, "prefix", "images/", errors))
                .map(|l| l.value());
            let suffix = get("suffix", "\".png\"")
                .and_then(|v| lit_str(v, "suffix", ".png", errors))
                .map(|l| l.value());
            let events = match get("events", "\"created\"") {
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
                prefix: prefix.map(Into::into),
                suffix: suffix.map(Into::into),
                events: events?,
            })
        }
        "queue" => {
            let queue = match get("name", "\"orders\"") {
                Some(v) => lit_str(v, "name", "orders", errors).and_then(|l| {
                    checked(
                        &l,
                        |s| rule(names::queue_name(s).map(|()| s.to_owned())),
                        errors,
                    )
                }),
                None => {
                    errors.spanned(
                        expr,
                        "the queue trigger needs a queue name: `queue(name = \"orders\")`",
                    );
                    None
                }
            };
            let batch_size = match get("batch_size", "10") {
                Some(v) => lit_int(v, "batch_size", spec::BATCH_SIZE, errors),
                None => Some(10),
            };
            let window = get("window", "\"1s\"").map(|v| (v, lit_str(v, "window", "1s", errors).and_then(|l| {
                checked(&l, |s| match values::duration_ms(s)? {
                    ms if ms <= u64::from(*spec::WINDOW_MS.end()) => Ok(ms as u32),
                    _ => Err(format!("window `{s}` is out of range; use 0s to 300s (5m), as SQS event sources allow")),
                }, errors)
            })));
            let window_ms = match window {
                Some((_, None)) => None,
                Some((_, Some(ms))) => Some(ms),
                None => Some(0),
            };
            if let (Some(size), Some(ms)) = (batch_size, window_ms) {
                if size > spec::BATCH_WITHOUT_WINDOW && ms < 1000 {
                    let span: &dyn quote::ToTokens = match &window {
                        Some((v, _)) => *v,
                        None => expr,
                    };
                    errors.spanned(span, format!("a batch_size of {size} needs `window = \"1s\"` or more, as SQS requires for batches over 10"));
                }
            }
            let max_receive_count = match get("max_receive_count", "3") {
                Some(v) => lit_int(v, "max_receive_count", spec::MAX_RECEIVE_COUNT, errors),
                None => Some(3),
            };
            Some(Trigger::Queue {
                name: queue?.into(),
                batch_size: batch_size?,
                window_ms: window_ms?,
                max_receive_count: max_receive_count?,
            })
        }
        "schedule" => {
            let cron = get("cron", "\"0 */5 * * * *\"");
            let rate = get("rate", "\"5 minutes\"");
            match (cron, rate) {
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
                    errors.spanned(expr, "the schedule trigger needs `cron = \"0 */5 * * * *\"` or `rate = \"5 minutes\"`");
                    None
                }
            }
        }
        _ => unreachable!("matched above"),
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

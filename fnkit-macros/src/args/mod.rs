//! Reads `#[function(...)]` into [`Args`]: every key checked and typed, every mistake spanned.
//!
//! The attribute is first parsed loosely, as comma-separated `key = value` expressions, and then
//! each key is interpreted on its own. Unlike a `lookahead1` parser, which stops at the first bad
//! key, this reports every independent mistake in one compile.

pub(crate) mod durable;
mod literals;
#[cfg(test)]
mod tests;
mod trigger;
mod uses;

use fnkit_spec::manifest::{self as spec, Trigger};
use fnkit_spec::names;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::LitStr;

use crate::errors::Errors;
use crate::values;
use literals::{checked, entries, first_time, lit_int, lit_str, rule, unknown_key, value, RawArgs};

const KEYS: &[&str] = &[
    "trigger",
    "name",
    "timeout",
    "memory",
    "concurrency",
    "retries",
    "max_event_age",
    "ephemeral_storage",
    "uses",
    "env",
    "crate",
    "durable",
];

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
    pub max_event_age_secs: u32,
    pub ephemeral_mb: u32,
    pub uses: Vec<spec::Resource>,
    pub env: Vec<spec::Variable>,
    pub krate: Option<syn::Path>,
    /// `durable` / `durable(...)`: its settings and the key's span.
    pub durable: Option<(durable::Durable, Span)>,
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
            max_event_age_secs: spec::DEFAULT_MAX_EVENT_AGE_SECS,
            ephemeral_mb: spec::DEFAULT_EPHEMERAL_MB,
            uses: Vec::new(),
            env: Vec::new(),
            krate: None,
            durable: None,
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
            if first_time(&mut seen, &entry, errors) {
                args.take(&entry, errors);
            }
        }
        args
    }

    /// Reads one key's value into `self`, or records why it cannot.
    // long: one arm per key of the attribute, each a few lines; the match is the list of keys.
    fn take(&mut self, entry: &literals::Entry<'_>, errors: &mut Errors) {
        let args = self;
        match entry.key.as_str() {
            "trigger" => {
                if let Some(v) = value(entry, "http(path = \"/\")", errors) {
                    args.trigger_span = Some(v.span());
                    args.trigger = trigger::parse(v, errors);
                }
            }
            "name" => {
                let lit = value(entry, "\"my-function\"", errors)
                    .and_then(|v| lit_str(v, "name", "my-function", errors));
                if let Some(lit) = lit {
                    if checked(&lit, |s| rule(names::function_name(s)), errors).is_some() {
                        args.name = Some(lit);
                    }
                }
            }
            "timeout" => {
                let lit = value(entry, "\"10s\"", errors)
                    .and_then(|v| lit_str(v, "timeout", "10s", errors));
                if let Some(secs) = lit.and_then(|lit| checked(&lit, values::timeout_secs, errors))
                {
                    args.timeout_secs = secs;
                }
            }
            "memory" => {
                if let Some(mb) = value(entry, "512", errors)
                    .and_then(|v| lit_int(v, "memory", spec::MEMORY_MB, errors))
                {
                    args.memory_mb = mb;
                }
            }
            "concurrency" => {
                args.concurrency = value(entry, "10", errors)
                    .and_then(|v| lit_int(v, "concurrency", spec::CONCURRENCY, errors));
            }
            "retries" => {
                if let Some(n) = value(entry, "2", errors)
                    .and_then(|v| lit_int(v, "retries", spec::RETRIES, errors))
                {
                    args.retries = n;
                }
            }
            "max_event_age" => {
                let lit = value(entry, "\"6h\"", errors)
                    .and_then(|v| lit_str(v, "max_event_age", "6h", errors));
                if let Some(secs) =
                    lit.and_then(|lit| checked(&lit, values::max_event_age_secs, errors))
                {
                    args.max_event_age_secs = secs;
                }
            }
            "ephemeral_storage" => {
                if let Some(mb) = value(entry, "1024", errors)
                    .and_then(|v| lit_int(v, "ephemeral_storage", spec::EPHEMERAL_MB, errors))
                {
                    args.ephemeral_mb = mb;
                }
            }
            "uses" => {
                if let Some(v) = value(entry, "[bucket(\"reports\")]", errors) {
                    args.uses = uses::parse(v, errors);
                }
            }
            "env" => {
                if let Some(v) = value(entry, "[\"LOG_LEVEL=debug\"]", errors) {
                    args.env = uses::parse_env(v, errors);
                }
            }
            "durable" => {
                // Durable even when a setting is wrong (its error is recorded), so the
                // signature is checked as a durable function's.
                let settings = durable::parse(entry, errors).unwrap_or_default();
                args.durable = Some((settings, entry.key_span.span()));
            }
            "crate" => {
                let lit = value(entry, "\"fnkit\"", errors)
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
}

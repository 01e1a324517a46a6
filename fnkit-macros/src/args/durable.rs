//! Reads the `durable` key: bare (`durable`, the defaults) or with settings
//! (`durable(timeout = "7d", retention = "30d", plugins = telemetry)`): the manifest's
//! `DurableConfig`, and the path of a `fn() -> Plugins` whose plugins watch each invocation.

use fnkit_spec::durable::DurableConfig;

use super::literals::{checked, entries, first_time, lit_str, unknown_key, Entry};
use crate::errors::Errors;
use crate::values;

const KEYS: &[&str] = &["timeout", "retention", "plugins"];

/// What `durable(...)` says.
#[derive(Default)]
pub(crate) struct Durable {
    /// The manifest's settings.
    pub config: DurableConfig,
    /// `plugins = path`: a `fn() -> Plugins`.
    pub plugins: Option<syn::Path>,
}

/// The settings of `entry`; `None` after an error (recorded in `errors`).
pub(super) fn parse(entry: &Entry<'_>, errors: &mut Errors) -> Option<Durable> {
    let mut config = DurableConfig::default();
    let mut plugins = None;
    if entry.value.is_some() {
        errors.spanned(
            entry.key_span,
            "`durable` takes settings in parentheses, not `=`: `durable` or \
             `durable(timeout = \"1d\", retention = \"14d\")`",
        );
        return None;
    }
    let Some(list) = entry.list else {
        return Some(Durable::default());
    };
    let mut ok = true;
    let mut seen = Vec::new();
    for setting in entries(list, "durable(...)", errors) {
        if !KEYS.contains(&setting.key.as_str()) {
            unknown_key(&setting, KEYS, "durable(...)", errors);
            ok = false;
            continue;
        }
        if !first_time(&mut seen, &setting, errors) {
            ok = false;
            continue;
        }
        let example = match setting.key.as_str() {
            "timeout" => "\"1d\"",
            "plugins" => "telemetry",
            _ => "\"14d\"",
        };
        let Some(expr) = setting.value else {
            let key = &setting.key;
            errors.spanned(
                setting.key_span,
                format!("`{key}` needs a value: `{key} = {example}`"),
            );
            ok = false;
            continue;
        };
        if setting.key == "plugins" {
            match expr {
                syn::Expr::Path(p) if p.qself.is_none() => plugins = Some(p.path.clone()),
                other => {
                    errors.spanned(
                        other,
                        "`plugins` takes the path of a `fn() -> fnkit::durable::plugin::Plugins`: \
                         `plugins = telemetry`",
                    );
                    ok = false;
                }
            }
            continue;
        }
        let Some(lit) = lit_str(expr, &setting.key, example.trim_matches('"'), errors) else {
            ok = false;
            continue;
        };
        let read = if setting.key == "timeout" {
            checked(&lit, values::execution_timeout_secs, errors)
                .map(|secs| config.execution_timeout_secs = secs)
        } else {
            checked(&lit, values::retention_days, errors).map(|days| config.retention_days = days)
        };
        ok &= read.is_some();
    }
    ok.then_some(Durable { config, plugins })
}

//! Reads the `durable` key: bare (`durable`, the defaults) or with settings
//! (`durable(timeout = "7d", retention = "30d")`), into the manifest's `DurableConfig`.

use fnkit_spec::durable::DurableConfig;

use super::literals::{checked, entries, first_time, lit_str, unknown_key, Entry};
use crate::errors::Errors;
use crate::values;

const KEYS: &[&str] = &["timeout", "retention"];

/// The settings of `entry`; `None` after an error (recorded in `errors`).
pub(super) fn parse(entry: &Entry<'_>, errors: &mut Errors) -> Option<DurableConfig> {
    let mut config = DurableConfig::default();
    if entry.value.is_some() {
        errors.spanned(
            entry.key_span,
            "`durable` takes settings in parentheses, not `=`: `durable` or \
             `durable(timeout = \"1d\", retention = \"14d\")`",
        );
        return None;
    }
    let Some(list) = entry.list else {
        return Some(config);
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
        let example = if setting.key == "timeout" {
            "1d"
        } else {
            "14d"
        };
        let Some(expr) = setting.value else {
            let key = &setting.key;
            errors.spanned(
                setting.key_span,
                format!("`{key}` needs a value: `{key} = \"{example}\"`"),
            );
            ok = false;
            continue;
        };
        let Some(lit) = lit_str(expr, &setting.key, example, errors) else {
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
    ok.then_some(config)
}

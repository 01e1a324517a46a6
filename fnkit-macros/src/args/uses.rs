//! The lists of the attribute: `uses = [bucket("reports"), queue("orders"),
//! function("word_count")]`, the resources a function uses besides its trigger, and
//! `env = ["LOG_LEVEL=debug"]`, its variables; each name checked as the platform checks it.

use fnkit_spec::manifest::{Resource, Variable};
use std::borrow::Cow;
use syn::{Expr, Lit};

use crate::errors::Errors;

const KINDS: &str = "`bucket(\"name\")`, `queue(\"name\")` or `function(\"name\")`";

/// Reads the list; each bad element is an error under it, the good ones are kept.
pub(super) fn parse(value: &Expr, errors: &mut Errors) -> Vec<Resource> {
    let Expr::Array(array) = value else {
        errors.spanned(
            value,
            format!("`uses` is a list, e.g. `uses = [bucket(\"reports\")]`, of {KINDS}"),
        );
        return Vec::new();
    };
    let mut out: Vec<Resource> = Vec::new();
    for element in &array.elems {
        let Some(resource) = one(element, errors) else {
            continue;
        };
        if out.contains(&resource) {
            errors.spanned(element, "this resource is listed twice");
            continue;
        }
        out.push(resource);
    }
    out
}

fn one(element: &Expr, errors: &mut Errors) -> Option<Resource> {
    let Expr::Call(call) = element else {
        errors.spanned(element, format!("expected {KINDS}"));
        return None;
    };
    let kind = match &*call.func {
        Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        _ => None,
    };
    let name = match (call.args.len(), call.args.first()) {
        (1, Some(Expr::Lit(lit))) => match &lit.lit {
            Lit::Str(s) => Some(s),
            _ => None,
        },
        _ => None,
    };
    let Some(name) = name else {
        errors.spanned(&call.args, format!("expected one string literal: {KINDS}"));
        return None;
    };
    let text = Cow::Owned(name.value());
    let resource = match kind.as_deref() {
        Some("bucket") => Resource::Bucket(text),
        Some("queue") => Resource::Queue(text),
        Some("function") => Resource::Function(text),
        _ => {
            errors.spanned(&call.func, format!("unknown resource; expected {KINDS}"));
            return None;
        }
    };
    match resource.check() {
        Ok(()) => Some(resource),
        Err(message) => {
            errors.spanned(name, message);
            None
        }
    }
}

/// Reads `env = ["NAME=value", ...]`.
pub(super) fn parse_env(value: &Expr, errors: &mut Errors) -> Vec<Variable> {
    let Expr::Array(array) = value else {
        errors.spanned(
            value,
            "`env` is a list of strings, e.g. `env = [\"LOG_LEVEL=debug\"]`",
        );
        return Vec::new();
    };
    let mut out: Vec<Variable> = Vec::new();
    for element in &array.elems {
        let text = match element {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => s,
            _ => {
                errors.spanned(element, "expected a string `\"NAME=value\"`");
                continue;
            }
        };
        let Some((name, value)) = text
            .value()
            .split_once('=')
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        else {
            errors.spanned(text, "expected `NAME=value`");
            continue;
        };
        if let Err(e) = fnkit_spec::env::check_name(&name) {
            errors.spanned(text, e.to_string());
            continue;
        }
        if out.iter().any(|v| v.name == name) {
            errors.spanned(text, format!("`{name}` is set twice"));
            continue;
        }
        out.push(Variable {
            name: Cow::Owned(name),
            value: Cow::Owned(value),
        });
    }
    out
}

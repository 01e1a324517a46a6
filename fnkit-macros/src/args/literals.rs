//! The loose first pass over an attribute (comma-separated `key = value` expressions) and the
//! helpers that read one value each, spanning every mistake under its tokens.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Token};

use crate::errors::Errors;
use crate::values;

/// The loosely parsed attribute: `key = value, ...`.
pub(super) struct RawArgs(pub(super) Punctuated<Expr, Token![,]>);

impl Parse for RawArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Punctuated::parse_terminated(input).map(RawArgs)
    }
}

/// One `key = value`, a bare `key` or a `key(...)` list, with the key's text.
pub(super) struct Entry<'a> {
    pub key: String,
    pub key_span: &'a dyn quote::ToTokens,
    pub value: Option<&'a Expr>,
    /// The list of `key(a = 1, b = 2)`.
    pub list: Option<&'a Punctuated<Expr, Token![,]>>,
}

/// Splits an expression list into entries; anything that is not `key = value`, `key` or
/// `key(...)` is an error.
pub(super) fn entries<'a>(
    exprs: impl IntoIterator<Item = &'a Expr>,
    what: &str,
    errors: &mut Errors,
) -> Vec<Entry<'a>> {
    let mut out = Vec::new();
    for expr in exprs {
        let (left, value, list) = match expr {
            Expr::Assign(assign) => (&*assign.left, Some(&*assign.right), None),
            Expr::Call(call) => (&*call.func, None, Some(&call.args)),
            other => (other, None, None),
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
                    list,
                });
            }
            _ => errors.spanned(expr, format!("expected `key = value` in {what}")),
        }
    }
    out
}

/// Rejects a key seen before, keeping the first.
pub(super) fn first_time(seen: &mut Vec<String>, entry: &Entry<'_>, errors: &mut Errors) -> bool {
    if seen.contains(&entry.key) {
        errors.spanned(entry.key_span, format!("duplicate key `{}`", entry.key));
        false
    } else {
        seen.push(entry.key.clone());
        true
    }
}

pub(super) fn unknown_key(entry: &Entry<'_>, keys: &[&str], context: &str, errors: &mut Errors) {
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

/// The value of `entry`, or an error when it was written as a bare key or a list.
pub(super) fn value<'a>(entry: &Entry<'a>, example: &str, errors: &mut Errors) -> Option<&'a Expr> {
    if entry.list.is_some() {
        errors.spanned(
            entry.key_span,
            format!("`{}` takes a value: `{} = {example}`", entry.key, entry.key),
        );
        return None;
    }
    if entry.value.is_none() {
        errors.spanned(
            entry.key_span,
            format!("`{}` needs a value: `{} = {example}`", entry.key, entry.key),
        );
    }
    entry.value
}

pub(super) fn lit_str(
    expr: &Expr,
    key: &str,
    example: &str,
    errors: &mut Errors,
) -> Option<LitStr> {
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

pub(super) fn lit_int(
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
pub(super) fn rule<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

/// Checks a string with `check`, spanning its message under the literal.
pub(super) fn checked<T>(
    lit: &LitStr,
    check: impl FnOnce(&str) -> Result<T, String>,
    errors: &mut Errors,
) -> Option<T> {
    check(&lit.value())
        .map_err(|msg| errors.spanned(lit, msg))
        .ok()
}

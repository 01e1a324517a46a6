//! The `#[function]` attribute of [fnkit](https://docs.rs/fnkit).
//!
//! This crate is an implementation detail: depend on `fnkit` and write `#[fnkit::function]`
//! (or `use fnkit::prelude::*`). The attribute is documented where `fnkit` re-exports it.
//!
//! The work is split as thiserror and tokio-macros split theirs: [`args`] reads the attribute into
//! typed values (literals become durations, cron schedules and routes here, so a bad one is an error
//! under the literal), [`validate`] checks the signature against them, and [`expand`] quotes the
//! registration. Every user mistake is a spanned `syn::Error`; independent mistakes are reported
//! together, and the function is always emitted again so one error does not cascade.

mod args;
mod errors;
mod expand;
mod validate;
mod values;

use proc_macro::TokenStream;

/// Registers an async fn as an fnkit function. See `fnkit::function` for the documentation.
#[proc_macro_attribute]
pub fn function(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::function(attr.into(), item.into()).into()
}

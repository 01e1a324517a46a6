//! A durable function declared through `macro_rules!` (its return type a `$t:ty`), under a
//! renamed fnkit, and under `#![no_implicit_prelude]`.
#![no_implicit_prelude]

extern crate fnkit as renamed;

macro_rules! durable_fn {
    ($name:ident -> $t:ty) => {
        #[renamed::function(durable, crate = "renamed")]
        async fn $name(input: u64, ctx: renamed::durable::DurableContext) -> $t {
            ::std::mem::drop(ctx);
            ::std::result::Result::Ok(input)
        }
    };
}

durable_fn!(twice -> ::std::result::Result<u64, renamed::Error>);

fn main() {
    let manifest = renamed::registry::manifest().unwrap();
    let mut functions = manifest.functions.iter();
    ::std::assert!(::std::iter::Iterator::any(&mut functions, |f| f.name == "twice" && f.durable.is_some()));
}

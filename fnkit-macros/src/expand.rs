//! Quotes what `#[function]` adds after the user's fn: per-argument type checks spanned on each
//! argument, a type-erased entry point, and one `inventory::submit!` of the function's spec. All
//! paths go through `::fnkit::__private` (or the `crate = "..."` override), so the expansion works
//! under a renamed crate and `#![no_implicit_prelude]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use fnkit_spec::manifest::{RateUnit, ScheduleExpr, StorageEvents, Trigger};

use crate::args::durable::Durable;
use crate::args::Args;
use crate::errors::Errors;
use crate::validate::{self, ArgKind, Expect, Handler};

pub(crate) fn function(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = Args::parse(attr, &mut errors);
    let item_fn = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let mut error = syn::Error::new(e.span(), "#[function] goes on an `async fn`");
            error.combine(e);
            errors.push(error);
            // Not a function: give the item back untouched so nothing else breaks.
            let compile_errors = errors.into_compile_errors();
            return quote!(#item #compile_errors);
        }
    };
    let expect = Expect {
        trigger: args.trigger.as_ref(),
        durable: args.durable.as_ref().map(|(_, span)| *span),
    };
    let handler = validate::check(&item_fn, &expect, &mut errors);
    if !errors.is_empty() {
        let compile_errors = errors.into_compile_errors();
        return quote!(#item_fn #compile_errors);
    }
    let Some(trigger) = &args.trigger else {
        unreachable!("a trigger that failed to parse recorded an error")
    };
    let registration = register(&args, trigger, &item_fn, &handler);
    quote! {
        #item_fn
        #registration
    }
}

fn register(args: &Args, trigger: &Trigger, item: &ItemFn, handler: &Handler<'_>) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => quote!(#path),
        None => quote!(::fnkit),
    };
    let p = quote!(#krate::__private);
    let ident = &item.sig.ident;
    let marker = format_ident!("{}", trigger_marker(trigger));
    let marker = quote!(#p::trigger::#marker);
    let name = match &args.name {
        Some(lit) => lit.value(),
        None => ident.to_string(),
    };

    let (lets, names, checks) = arguments(&p, &marker, handler, &name, args.durable.is_some());
    let output_span = match &item.sig.output {
        syn::ReturnType::Default => item.sig.paren_token.span.join(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    };
    let call = match &args.durable {
        Some(durable) => durable_call(&p, &marker, durable, output_span, handler, ident, &names),
        None => quote!(let __fnkit_out = #ident(#(#names),*).await;),
    };
    let durable = durable_config(&p, args);
    // A `Result` is told from a plain value by its type (an alias of `Result` is one too), by
    // autoref dispatch at run time's compile time; see `fnkit::event::returned`.
    let respond = quote_spanned! {output_span=>
        #[allow(unused_imports)]
        use #p::{DisplayResultKind as _, ResultKind as _, ValueKind as _};
        (&&&#p::Returned(&__fnkit_out)).__fnkit_kind().for_trigger::<#marker>().respond(__fnkit_out, &__fnkit_inv)
    };

    let trigger = trigger_tokens(&p, trigger);
    let timeout = args.timeout_secs;
    let memory = args.memory_mb;
    let concurrency = match args.concurrency {
        Some(n) => quote!(#p::Option::Some(#n)),
        None => quote!(#p::Option::None),
    };
    let retries = args.retries;
    let max_event_age = args.max_event_age_secs;
    let ephemeral = args.ephemeral_mb;
    let line = quote_spanned!(ident.span()=> ::core::line!());
    let (uses, env) = lists(&p, args);
    quote! {
        #[doc(hidden)]
        const _: () = {
            fn __fnkit_entry(mut __fnkit_inv: #p::Invocation) -> #p::HandlerFuture {
                #p::boxed(async move {
                    #(#lets)*
                    #call
                    #respond
                })
            }
            fn __fnkit_check_state(
                __fnkit_state: &#p::StateMap,
            ) -> #p::Result<(), #p::Error> {
                #(#checks)*
                #p::Result::Ok(())
            }
            #p::inventory::submit! {
                #p::FunctionDef::new(
                    #p::FunctionSpec::new(
                        #name, #trigger, #timeout, #memory, #concurrency, #retries,
                        ::core::file!(), #line, ::core::module_path!(),
                    )
                    .with_uses(&[#(#uses),*])
                    .with_env(&[#(#env),*])
                    .with_max_event_age(#max_event_age)
                    .with_ephemeral(#ephemeral)
                    #durable,
                    __fnkit_entry,
                    __fnkit_check_state,
                )
            }
        };
    }
}

/// `.with_durable(...)` for a durable function's settings, or nothing.
fn durable_config(p: &TokenStream, args: &Args) -> TokenStream {
    match &args.durable {
        Some((Durable { config, .. }, _)) => {
            let (timeout, retention) = (config.execution_timeout_secs, config.retention_days);
            quote!(.with_durable(#p::DurableConfig {
                execution_timeout_secs: #timeout, retention_days: #retention,
            }))
        }
        None => quote!(),
    }
}

/// A durable function's call: the invocation's payload is the service's envelope, and
/// `durable::execute` replays the execution's state and calls the handler with the execution's
/// input (the event argument) and its `DurableContext`. The paths to `durable` carry the key's
/// span, so without fnkit's `durable` feature the error (with rustc's note that the module is
/// gated behind that feature) is under `durable` in the attribute. With `plugins = path`, the
/// process calls `path` once, at the first invocation, and every invocation's plugins come from
/// what it returned.
fn durable_call(
    p: &TokenStream,
    marker: &TokenStream,
    (settings, key): &(Durable, proc_macro2::Span),
    output_span: proc_macro2::Span,
    handler: &Handler<'_>,
    ident: &proc_macro2::Ident,
    names: &[proc_macro2::Ident],
) -> TokenStream {
    let durable = quote_spanned!(*key=> #p::durable);
    // `execute` calls the handler with (input, context), whatever order the fn takes them in.
    let param = |want: ArgKind| {
        let mut found = handler
            .args
            .iter()
            .zip(names)
            .filter(|((kind, _), _)| *kind == want);
        found.next().map(|((_, ty), name)| quote!(#name: #ty))
    };
    let params = [param(ArgKind::Event), param(ArgKind::Durable)];
    // The returned value carries the return type's span: an unfit type is an error there.
    // One identifier token for the binding and its use (so hygiene cannot tell them apart),
    // and the conversion spanned as a whole under the return type.
    let ret = proc_macro2::Ident::new("__fnkit_ret", output_span);
    let into = quote_spanned!(output_span=> #durable::DurableReturn::into_durable(#ret));
    // The handler's future is spanned there too: its output type is where it is inferred.
    let handler = quote_spanned! {output_span=>
        move |#(#params),*| async move {
            let #ret = #ident(#(#names),*).await;
            #into
        }
    };
    let Some(plugins) = &settings.plugins else {
        return quote! {
            let __fnkit_envelope =
                <#durable::Value as #p::FromEvent<#marker>>::from_event(&mut __fnkit_inv)?;
            let __fnkit_out = #durable::execute(__fnkit_envelope, #handler).await;
        };
    };
    // The call is spanned at the path: a function of another type is an error there.
    let made = quote_spanned! {plugins.span()=>
        __FNKIT_PLUGINS.get_or_init(#plugins)
    };
    quote! {
        static __FNKIT_PLUGINS: #durable::OnceLock<#durable::Plugins> = #durable::OnceLock::new();
        let __fnkit_envelope =
            <#durable::Value as #p::FromEvent<#marker>>::from_event(&mut __fnkit_inv)?;
        let __fnkit_plugins: &#durable::Plugins = #made;
        let __fnkit_out = #durable::execute_with(__fnkit_envelope, __fnkit_plugins, #handler).await;
    }
}

/// Per handler argument: the `let` that takes it from the invocation, its name, and (for
/// `Context`, `State<T>`) the start-up check that the process can give it. A durable function's
/// event and `DurableContext` come from `durable::execute` instead (see [`durable_call`]).
fn arguments(
    p: &TokenStream,
    marker: &TokenStream,
    handler: &Handler<'_>,
    fn_name: &str,
    durable: bool,
) -> (Vec<TokenStream>, Vec<proc_macro2::Ident>, Vec<TokenStream>) {
    let mut lets = Vec::new();
    let mut names = Vec::new();
    let mut checks = Vec::new();
    for (i, (kind, ty)) in handler.args.iter().enumerate() {
        let name = format_ident!("__fnkit_arg{}", i);
        let span = ty.span();
        lets.push(match kind {
            ArgKind::Event | ArgKind::Durable if durable => quote!(),
            ArgKind::Durable => unreachable!("validate refuses a DurableContext without `durable`"),
            ArgKind::Event => quote_spanned! {span=>
                let #name = <#ty as #p::FromEvent<#marker>>::from_event(&mut __fnkit_inv)?;
            },
            ArgKind::Extractor => {
                checks.push(quote_spanned! {span=>
                    <#ty as #p::FromInvocation>::check_state(__fnkit_state, #fn_name)?;
                });
                quote_spanned! {span=>
                    let #name = <#ty as #p::FromInvocation>::from_invocation(&__fnkit_inv)?;
                }
            }
        });
        names.push(name);
    }
    (lets, names, checks)
}

/// The `uses` and `env` lists as const expressions of `fnkit::manifest` types.
fn lists(p: &TokenStream, args: &Args) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let uses = args.uses.iter().map(|r| {
        let (kind, name) = r.parts();
        let variant = match kind {
            fnkit_spec::names::ResourceKind::Bucket => quote!(Bucket),
            fnkit_spec::names::ResourceKind::Queue => quote!(Queue),
            fnkit_spec::names::ResourceKind::Function => quote!(Function),
        };
        quote!(#p::Resource::#variant(#p::Cow::Borrowed(#name)))
    });
    let env = args.env.iter().map(|v| {
        let (name, value) = (v.name.as_ref(), v.value.as_ref());
        quote!(#p::Variable { name: #p::Cow::Borrowed(#name), value: #p::Cow::Borrowed(#value) })
    });
    (uses.collect(), env.collect())
}

fn trigger_marker(trigger: &Trigger) -> &'static str {
    match trigger {
        Trigger::Event => "Event",
        Trigger::Http { .. } => "Http",
        Trigger::Storage { .. } => "Storage",
        Trigger::Queue { .. } => "Queue",
        Trigger::Schedule(_) => "Schedule",
    }
}

fn opt_str(p: &TokenStream, value: &Option<std::borrow::Cow<'static, str>>) -> TokenStream {
    match value.as_deref() {
        Some(s) => quote!(#p::Option::Some(#p::Cow::Borrowed(#s))),
        None => quote!(#p::Option::None),
    }
}

/// The trigger as a const expression of `fnkit::manifest::Trigger`.
fn trigger_tokens(p: &TokenStream, trigger: &Trigger) -> TokenStream {
    let t = quote!(#p::Trigger);
    match trigger {
        Trigger::Event => quote!(#t::Event),
        Trigger::Http { method, path } => {
            let (method, path) = (method.as_ref(), path.as_ref());
            quote!(#t::Http { method: #p::Cow::Borrowed(#method), path: #p::Cow::Borrowed(#path) })
        }
        Trigger::Storage {
            bucket,
            prefix,
            suffix,
            events,
        } => {
            let bucket = bucket.as_ref();
            let prefix = opt_str(p, prefix);
            let suffix = opt_str(p, suffix);
            let events = format_ident!(
                "{}",
                match events {
                    StorageEvents::Created => "Created",
                    StorageEvents::Deleted => "Deleted",
                    StorageEvents::All => "All",
                }
            );
            quote!(#t::Storage {
                bucket: #p::Cow::Borrowed(#bucket), prefix: #prefix, suffix: #suffix,
                events: #p::StorageEvents::#events,
            })
        }
        Trigger::Queue {
            name,
            batch_size,
            window_ms,
            max_receive_count,
        } => {
            let name = name.as_ref();
            quote!(#t::Queue {
                name: #p::Cow::Borrowed(#name), batch_size: #batch_size, window_ms: #window_ms,
                max_receive_count: #max_receive_count,
            })
        }
        Trigger::Schedule(ScheduleExpr::Cron(expr)) => {
            let expr = expr.as_ref();
            quote!(#t::Schedule(#p::ScheduleExpr::Cron(#p::Cow::Borrowed(#expr))))
        }
        Trigger::Schedule(ScheduleExpr::Rate(rate)) => {
            let value = rate.value();
            let unit = format_ident!(
                "{}",
                match rate.unit() {
                    RateUnit::Minutes => "Minutes",
                    RateUnit::Hours => "Hours",
                    RateUnit::Days => "Days",
                }
            );
            quote!(#t::Schedule(#p::ScheduleExpr::Rate(#p::Rate::new(#value, #p::RateUnit::#unit))))
        }
    }
}

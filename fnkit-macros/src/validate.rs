//! Checks the annotated function's signature against the attribute: an `async fn` without
//! generics or `self`, exactly one event argument that fits the trigger, `Context` and `State<T>`
//! at most once each, and a `DurableContext` exactly when the function is durable (whose trigger
//! is `event`). Extractors are recognised by the last segment of their type's path.

use syn::{FnArg, ItemFn, Type};

use crate::errors::Errors;
use fnkit_spec::manifest::Trigger;

/// What one argument is to the runtime.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// The trigger's event, decoded from the payload.
    Event,
    /// `Context` or `State<T>`, taken from the invocation.
    Extractor,
    /// The `DurableContext` of a durable function, made from the execution's state.
    Durable,
}

pub(crate) struct Handler<'a> {
    pub args: Vec<(ArgKind, &'a Type)>,
}

/// The fnkit event types and the trigger that delivers each.
const EVENT_TYPES: &[(&str, &str, &str)] = &[
    ("HttpRequest", "http", "HttpRequest"),
    ("StorageEvent", "storage", "StorageEvent"),
    ("QueueBatch", "queue", "QueueBatch<T>"),
    ("ScheduleEvent", "schedule", "ScheduleEvent"),
];

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// `async`, and none of `const`, `unsafe`, variadic arguments, generics or `where`.
fn check_qualifiers(sig: &syn::Signature, errors: &mut Errors) {
    if sig.asyncness.is_none() {
        errors.spanned(sig.fn_token, "the `async` keyword is missing from the function declaration; #[function] handlers are `async fn`");
    }
    if let Some(c) = &sig.constness {
        errors.spanned(c, "#[function] handlers cannot be `const fn`");
    }
    if let Some(u) = &sig.unsafety {
        errors.spanned(u, "#[function] handlers cannot be `unsafe fn`");
    }
    if let Some(v) = &sig.variadic {
        errors.spanned(v, "#[function] handlers cannot be variadic");
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(&sig.generics, "#[function] handlers cannot be generic; name concrete types (the runtime calls one instance)");
    } else if let Some(w) = &sig.generics.where_clause {
        errors.spanned(w, "#[function] handlers cannot have a `where` clause");
    }
}

/// What the attribute says the signature must fit: its trigger (`None` when it did not parse)
/// and, for a durable function, the span of its `durable` key.
pub(crate) struct Expect<'a> {
    pub trigger: Option<&'a Trigger>,
    pub durable: Option<proc_macro2::Span>,
}

pub(crate) fn check<'a>(item: &'a ItemFn, expect: &Expect<'_>, errors: &mut Errors) -> Handler<'a> {
    let trigger = expect.trigger;
    let sig = &item.sig;
    check_qualifiers(sig, errors);
    let mut args = Vec::new();
    let mut event: Option<&Type> = None;
    let mut contexts = 0;
    for input in &sig.inputs {
        let ty = match input {
            FnArg::Receiver(r) => {
                errors.spanned(r, "#[function] handlers cannot take `self`; write a free `async fn` and keep shared data in `State<T>`");
                continue;
            }
            FnArg::Typed(t) => &*t.ty,
        };
        if let Type::Reference(r) = ty {
            errors.spanned(
                r,
                "#[function] arguments are taken by value; remove the `&`",
            );
            continue;
        }
        let name = last_segment(ty);
        match name.as_deref() {
            Some("Context") => {
                contexts += 1;
                if contexts > 1 {
                    errors.spanned(
                        ty,
                        "`Context` is already an argument of this function; take it once",
                    );
                }
                args.push((ArgKind::Extractor, ty));
            }
            Some("State") => args.push((ArgKind::Extractor, ty)),
            Some("DurableContext") => args.push((ArgKind::Durable, ty)),
            _ => {
                if let Some(first) = event {
                    errors.spanned(
                        ty,
                        format!(
                        "a #[function] takes exactly one event argument, and `{}` is already it; \
                         other arguments are `Context`, `State<T>` or `DurableContext`",
                        quote::quote!(#first).to_string().replace(' ', "")
                    ),
                    );
                } else {
                    event = Some(ty);
                    if let Some(trigger) = trigger {
                        check_event_fits(ty, name.as_deref(), trigger, errors);
                    }
                }
                args.push((ArgKind::Event, ty));
            }
        }
    }
    if event.is_none() {
        let example = match trigger.map(Trigger::kind) {
            Some("http") => "`req: HttpRequest`",
            Some("storage") => "`event: StorageEvent`",
            Some("queue") => "`batch: QueueBatch<T>`",
            Some("schedule") => "`tick: ScheduleEvent`",
            _ => "`input: T` where T: Deserialize",
        };
        errors.at(
            sig.paren_token.span.join(),
            format!(
                "a #[function] takes exactly one event argument, e.g. {example}; none was found"
            ),
        );
    }

    check_durable(sig, expect, &args, errors);
    Handler { args }
}

/// A durable function has the `event` trigger and takes one `DurableContext`; no other function
/// takes one.
fn check_durable(
    sig: &syn::Signature,
    expect: &Expect<'_>,
    args: &[(ArgKind, &Type)],
    errors: &mut Errors,
) {
    if let (Some(span), Some(t)) = (expect.durable, expect.trigger) {
        if t.kind() != "event" {
            let kind = t.kind();
            errors.at(
                span,
                format!("a durable function is started by Invoke, so its trigger is `event`, not `{kind}`"),
            );
        }
    }
    let durables = args.iter().filter(|(kind, _)| *kind == ArgKind::Durable);
    for (i, (_, ty)) in durables.clone().enumerate() {
        if expect.durable.is_none() {
            errors.spanned(
                ty,
                "`DurableContext` is given to durable functions; \
                 add `durable` to the attribute: #[function(durable)]",
            );
        } else if i > 0 {
            errors.spanned(
                ty,
                "`DurableContext` is already an argument of this function; take it once",
            );
        }
    }
    if expect.durable.is_some() && durables.count() == 0 {
        errors.at(
            sig.paren_token.span.join(),
            "a durable function takes a `DurableContext`: \
             `async fn f(input: T, ctx: DurableContext)`",
        );
    }
}

/// A syntactic check for the fnkit event types, so the common mistake gets the clearest message;
/// every other type is checked by the compiler through `FromEvent<Trigger>`.
fn check_event_fits(ty: &Type, name: Option<&str>, trigger: &Trigger, errors: &mut Errors) {
    let Some(name) = name else { return };
    let Some((_, delivered_by, _)) = EVENT_TYPES.iter().find(|(n, _, _)| *n == name) else {
        return;
    };
    let kind = trigger.kind();
    if *delivered_by == kind {
        return;
    }
    let expected = EVENT_TYPES
        .iter()
        .find(|(_, t, _)| *t == kind)
        .map(|(_, _, shown)| format!("`{shown}`"))
        .unwrap_or_else(|| "any `T: Deserialize`".to_owned());
    let fix = if kind == "event" {
        format!("; for a `{name}` set `trigger = {delivered_by}(...)`")
    } else {
        String::new()
    };
    errors.spanned(
        ty,
        format!("the {kind} trigger delivers {expected}, not `{name}`{fix}"),
    );
}

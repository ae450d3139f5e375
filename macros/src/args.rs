//! The attribute's arguments: parsed, checked, and turned into `Scenario` calls.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr, Meta, Token};

const ARGUMENTS: &str = "`iterations`, `seed`, `strategy`, `depth`, `engine`, `preemption_bound`, `max_steps`, \
                         `time`, `flavor`, `switch_points`, `leaks`, `unhandled_panics`, `error_events`, `lost_messages`, \
                         `max_queue`, `threads`, `expect`, `snapshot`";
/// The values each string argument accepts: the same list as the library's
/// `racewright::__private::attribute::VALUES` (a test compares them through
/// [`values_table`]).
pub(crate) const VALUES: &[(&str, &[&str])] = &[
    ("strategy", STRATEGIES),
    ("engine", ENGINES),
    ("time", TIME_MODES),
    ("flavor", FLAVORS),
    ("switch_points", SWITCH_POINTS),
    ("policy", POLICIES),
    ("expect", KINDS),
];
const STRATEGIES: &[&str] = &["portfolio", "random", "pct", "dfs", "pos", "urw"];
const POLICIES: &[&str] = &["deny", "allow"];
const ENGINES: &[&str] = &["shuttle", "loom", "all"];
const TIME_MODES: &[&str] = &["idle", "any"];
const FLAVORS: &[&str] = &["multi_thread", "current_thread"];
const SWITCH_POINTS: &[&str] = &["every_call", "pending"];
const KINDS: &[&str] = &[
    "panic",
    "deadlock",
    "leak",
    "unhandled_panic",
    "error",
    "step_limit",
    "nondeterminism",
    "lost_wakeup",
    "blocking_in_async",
    "lost_messages",
    "unbounded_growth",
];

/// [`VALUES`] as an expression of type `&[(&str, &[&str])]`.
pub(crate) fn values_table() -> TokenStream {
    let rows = VALUES.iter().map(|(argument, names)| quote!((#argument, &[#(#names),*] as &[&str])));
    quote!(&[#(#rows),*] as &[(&str, &[&str])])
}

/// The checked arguments of `#[racewright::test(...)]`.
#[derive(Default)]
pub(crate) struct Args {
    iterations: Option<LitInt>,
    seed: Option<LitInt>,
    strategy: Option<LitStr>,
    depth: Option<LitInt>,
    engine: Option<LitStr>,
    preemption_bound: Option<LitInt>,
    max_steps: Option<LitInt>,
    time: Option<LitStr>,
    flavor: Option<LitStr>,
    switch_points: Option<LitStr>,
    leaks: Option<LitStr>,
    unhandled_panics: Option<LitStr>,
    error_events: Option<LitStr>,
    lost_messages: Option<LitStr>,
    max_queue: Option<LitInt>,
    threads: Option<LitInt>,
    expect: Option<LitStr>,
    snapshot: Option<bool>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated(input)? {
            let (path, value) = match &meta {
                Meta::NameValue(pair) => (&pair.path, &pair.value),
                Meta::Path(path) if describe(path) == "snapshot" => {
                    set(&mut args.snapshot, true, path.span(), "snapshot")?;
                    continue;
                }
                Meta::Path(path) => {
                    return Err(syn::Error::new(path.span(), format!("`{}` needs a value", describe(path))));
                }
                Meta::List(list) => {
                    return Err(syn::Error::new(list.span(), format!("expected `{} = ...`", describe(&list.path))));
                }
            };
            let name = describe(path);
            let span = path.span();
            match name.as_str() {
                "iterations" => set(&mut args.iterations, positive(value, &name)?, span, &name)?,
                "seed" => set(&mut args.seed, integer(value, &name)?, span, &name)?,
                "depth" => set(&mut args.depth, positive(value, &name)?, span, &name)?,
                "engine" => set(&mut args.engine, one_of(value, &name, ENGINES)?, span, &name)?,
                "preemption_bound" => set(&mut args.preemption_bound, integer(value, &name)?, span, &name)?,
                "max_steps" => set(&mut args.max_steps, positive(value, &name)?, span, &name)?,
                "strategy" => set(&mut args.strategy, one_of(value, &name, STRATEGIES)?, span, &name)?,
                "time" => set(&mut args.time, one_of(value, &name, TIME_MODES)?, span, &name)?,
                "flavor" => set(&mut args.flavor, one_of(value, &name, FLAVORS)?, span, &name)?,
                "switch_points" => set(&mut args.switch_points, one_of(value, &name, SWITCH_POINTS)?, span, &name)?,
                "lost_messages" => set(&mut args.lost_messages, one_of(value, &name, POLICIES)?, span, &name)?,
                "max_queue" => set(&mut args.max_queue, positive(value, &name)?, span, &name)?,
                "threads" => set(&mut args.threads, positive(value, &name)?, span, &name)?,
                "leaks" => set(&mut args.leaks, one_of(value, &name, POLICIES)?, span, &name)?,
                "unhandled_panics" => set(&mut args.unhandled_panics, one_of(value, &name, POLICIES)?, span, &name)?,
                "error_events" => set(&mut args.error_events, one_of(value, &name, POLICIES)?, span, &name)?,
                "expect" => set(&mut args.expect, one_of(value, &name, KINDS)?, span, &name)?,
                "snapshot" => {
                    return Err(syn::Error::new(span, "`snapshot` is a flag and takes no value: write `snapshot`"));
                }
                _ => {
                    return Err(syn::Error::new(
                        span,
                        format!("unknown argument `{name}` of #[racewright::test]; expected one of {ARGUMENTS}"),
                    ));
                }
            }
        }
        Ok(args)
    }
}

impl Args {
    /// `.iterations(500)` and friends, for the arguments given.
    pub(crate) fn setters(&self) -> Vec<TokenStream> {
        let mut setters = Vec::new();
        // The strategy first: `depth` then sets its depth.
        let named = [
            ("strategy", "strategy", &self.strategy),
            ("engine", "engine", &self.engine),
            ("time", "time", &self.time),
            ("flavor", "flavor", &self.flavor),
            ("switch_points", "switch_points", &self.switch_points),
            ("leaks", "policy", &self.leaks),
            ("unhandled_panics", "policy", &self.unhandled_panics),
            ("error_events", "policy", &self.error_events),
            ("lost_messages", "policy", &self.lost_messages),
        ];
        for (method, argument, value) in named {
            if let Some(value) = value {
                let method = syn::Ident::new(method, value.span());
                setters.push(quote!(.#method(::racewright::__private::attribute::value(#argument, #value))));
            }
        }
        let mut integer = |method: &str, value: &Option<LitInt>| {
            if let Some(value) = value {
                let method = syn::Ident::new(method, value.span());
                setters.push(quote!(.#method(#value)));
            }
        };
        integer("iterations", &self.iterations);
        integer("seed", &self.seed);
        integer("depth", &self.depth);
        integer("max_steps", &self.max_steps);
        integer("preemption_bound", &self.preemption_bound);
        integer("max_queue", &self.max_queue);
        integer("threads", &self.threads);
        setters
    }

    /// Whether the report is pinned with insta.
    pub(crate) fn snapshot(&self) -> bool {
        self.snapshot.is_some()
    }

    /// `Some(FailureKind::...)` or `None`.
    pub(crate) fn expect(&self) -> TokenStream {
        match &self.expect {
            None => quote!(::core::option::Option::None),
            Some(kind) => {
                quote!(::core::option::Option::Some(::racewright::__private::attribute::value::<::racewright::FailureKind>(
                    "expect", #kind
                )))
            }
        }
    }
}

fn describe(path: &syn::Path) -> String {
    path.segments.iter().map(|segment| segment.ident.to_string()).collect::<Vec<_>>().join("::")
}

fn set<T>(slot: &mut Option<T>, value: T, span: Span, name: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(span, format!("`{name}` is given twice")));
    }
    *slot = Some(value);
    Ok(())
}

/// A value passed through a `macro_rules` fragment arrives wrapped in an invisible group.
fn ungrouped(value: &Expr) -> &Expr {
    match value {
        Expr::Group(group) => ungrouped(&group.expr),
        other => other,
    }
}

fn integer(value: &Expr, name: &str) -> syn::Result<LitInt> {
    whole_number(value, name, 0)
}

fn positive(value: &Expr, name: &str) -> syn::Result<LitInt> {
    whole_number(value, name, 1)
}

/// An integer literal from `least` to `u64::MAX`, re-emitted without its suffix (the
/// setter's type decides). Every error names the argument and what it accepts.
fn whole_number(value: &Expr, name: &str, least: u64) -> syn::Result<LitInt> {
    let accepted = match least {
        0 => format!("`{name}` takes an integer from 0 to {}", u64::MAX),
        _ => format!("`{name}` takes a positive integer (1 to {})", u64::MAX),
    };
    let example = match name {
        "seed" => "42",
        "depth" => "3",
        "preemption_bound" => "2",
        "max_steps" => "100_000",
        "max_queue" => "64",
        "threads" => "1",
        _ => "500",
    };
    let refuse =
        |span: Span, given: String| syn::Error::new(span, format!("{accepted}, e.g. `{name} = {example}`{given}"));
    match ungrouped(value) {
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => match int.base10_parse::<u64>() {
            Ok(number) if number >= least => Ok(LitInt::new(&number.to_string(), int.span())),
            _ => Err(refuse(int.span(), format!("; `{int}` is not one"))),
        },
        other => Err(refuse(other.span(), String::new())),
    }
}

fn one_of(value: &Expr, name: &str, accepted: &[&str]) -> syn::Result<LitStr> {
    let listed = accepted.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
    match ungrouped(value) {
        Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) if accepted.contains(&text.value().as_str()) => Ok(text.clone()),
        Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => Err(syn::Error::new(
            text.span(),
            format!("`{name}` does not accept \"{}\"; expected one of {listed}", text.value()),
        )),
        other => Err(syn::Error::new(other.span(), format!("`{name}` takes a string, one of {listed}"))),
    }
}

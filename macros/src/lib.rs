//! `#[racewright::test]`: turns an async test into a racewright exploration.
//!
//! The attribute is thin: it checks its arguments (a bad one is a compile error that
//! points at it) and expands to a call of `racewright::Scenario`, where the logic
//! lives and is tested.

mod args;
mod pattern;

use proc_macro::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, parse_macro_input};

/// Explores the interleavings of an async test's tasks; see the `racewright` crate.
///
/// ```ignore
/// #[racewright::test(iterations = 500, strategy = "pct", expect = "deadlock")]
/// async fn transfer_deadlocks() { /* ... */ }
/// ```
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let args = parse_macro_input!(attr as args::Args);
    let function = parse_macro_input!(item as ItemFn);
    match expand(args, function) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn expand(args: args::Args, function: ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        return Err(syn::Error::new(
            signature.fn_token.span(),
            "#[racewright::test] goes on an `async fn`; add `async`",
        ));
    }
    if !signature.inputs.is_empty() {
        return Err(syn::Error::new_spanned(&signature.inputs, "a #[racewright::test] function takes no arguments"));
    }
    if !signature.generics.params.is_empty() || signature.generics.where_clause.is_some() {
        // `new_spanned` underlines the whole `<...>` (or `where ...`): on stable, a joined span is only its first token.
        let error = "a #[racewright::test] function cannot be generic";
        return Err(match &signature.generics.where_clause {
            Some(clause) if signature.generics.params.is_empty() => syn::Error::new_spanned(clause, error),
            _ => syn::Error::new_spanned(&signature.generics, error),
        });
    }
    let name = &signature.ident;
    let output = &signature.output;
    let body = &function.block;
    let attributes = &function.attrs;
    let visibility = &function.vis;
    let setters = args.setters();
    let expect = args.expect();
    let test_attribute = quote_spanned!(name.span()=> #[::core::prelude::v1::test]);
    // insta's macro expands here, in the user's crate, so the snapshot lands beside the test.
    let snapshot = args.snapshot().then(|| {
        quote! {
            ::racewright::__private::insta::assert_snapshot!(report.snapshot());
        }
    });
    Ok(quote! {
        #test_attribute
        #(#attributes)*
        #visibility fn #name() {
            async fn #name() #output #body
            let report = ::racewright::__private::run_test(
                ::racewright::Scenario::new(::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)))
                    .__origin(
                        ::core::env!("CARGO_PKG_NAME"),
                        ::core::env!("CARGO_CRATE_NAME"),
                        ::core::env!("CARGO_MANIFEST_DIR"),
                        ::core::module_path!(),
                        ::core::stringify!(#name),
                    )
                    #(#setters)*,
                #expect,
                || #name(),
            );
            #snapshot
            let _ = report;
        }
    })
}

/// The values the attribute's string arguments accept, as `&[(&str, &[&str])]`: for the
/// library's test that its own list is the same.
#[doc(hidden)]
#[proc_macro]
pub fn __attribute_values(_: TokenStream) -> TokenStream {
    args::values_table().into()
}

/// `select!`'s helper: the branch pattern given, with its bindings made plain by-reference
/// ones, to test a branch's output by reference (see `racewright::select!`).
#[doc(hidden)]
#[proc_macro]
pub fn __select_pattern(pattern: TokenStream) -> TokenStream {
    pattern::by_reference(pattern.into()).into()
}

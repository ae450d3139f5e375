//! `select!`'s pattern check: a branch's output is matched by reference before the branch
//! is chosen, so its pattern must bind nothing by move or as `mut`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::Pat;
use syn::parse::Parser;

/// `pattern` with every binding made a plain by-reference one (`mut x`, `ref mut x` and
/// `ref x` become `x`; `&mut p` becomes `&p`), so that `match &output { pattern => .. }`
/// tells whether `output` matches without moving out of it. Tokens that are not a
/// pattern come back unchanged: the compiler reports them where the handler uses them.
pub(crate) fn by_reference(pattern: TokenStream) -> TokenStream {
    match Pat::parse_multi_with_leading_vert.parse2(pattern.clone()) {
        Ok(mut parsed) => {
            strip_binding_modes(&mut parsed);
            parsed.into_token_stream()
        }
        Err(_) => pattern,
    }
}

fn strip_binding_modes(pattern: &mut Pat) {
    match pattern {
        Pat::Ident(binding) => {
            binding.by_ref = None;
            binding.mutability = None;
            if let Some((_, inner)) = &mut binding.subpat {
                strip_binding_modes(inner);
            }
        }
        Pat::Reference(reference) => {
            reference.mutability = None;
            strip_binding_modes(&mut reference.pat);
        }
        Pat::Or(or) => or.cases.iter_mut().for_each(strip_binding_modes),
        Pat::Paren(paren) => strip_binding_modes(&mut paren.pat),
        Pat::Slice(slice) => slice.elems.iter_mut().for_each(strip_binding_modes),
        Pat::Tuple(tuple) => tuple.elems.iter_mut().for_each(strip_binding_modes),
        Pat::TupleStruct(tuple) => tuple.elems.iter_mut().for_each(strip_binding_modes),
        Pat::Struct(structure) => structure.fields.iter_mut().for_each(|field| strip_binding_modes(&mut field.pat)),
        Pat::Type(typed) => strip_binding_modes(&mut typed.pat),
        // Literals, paths, ranges, `..`, `_`, macros and the rest bind nothing.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::by_reference;

    #[test]
    fn binding_modes_are_stripped_at_every_depth() {
        let cleaned = by_reference(quote!(Some((mut a, ref b, ref mut c @ 1..=3, &mut d, Point { x: mut x, .. }))));
        let expected = quote!(Some((a, b, c @ 1..=3, &d, Point { x: x, .. })));
        assert_eq!(cleaned.to_string(), expected.to_string());
    }

    #[test]
    fn every_case_of_an_or_pattern_is_cleaned() {
        let cleaned = by_reference(quote!(| Ok(mut v) | Err(mut v)));
        assert_eq!(cleaned.to_string(), quote!(|Ok(v)| Err(v)).to_string());
    }

    #[test]
    fn what_is_not_a_pattern_comes_back_as_it_was() {
        assert_eq!(by_reference(quote!(=> +)).to_string(), quote!(=> +).to_string());
    }
}

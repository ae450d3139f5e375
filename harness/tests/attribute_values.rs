//! The attribute and the library accept the same values: the macro's list (for its
//! compile errors) and the library's (which maps each name to a setting) never drift.

#[test]
fn the_macro_and_the_library_accept_the_same_values() {
    let macro_values = racewright::__private::attribute_values!();
    assert_eq!(macro_values, racewright::__private::attribute::VALUES);
}

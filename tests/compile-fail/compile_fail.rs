//! Compile-fail tests of `#[racewright::test]`: every bad use is a compile error that
//! points at the offending argument or signature part.
//!
//! The expected messages live next to the cases in `ui/*.stderr`; after an intended
//! change of a message, regenerate them with
//! `TRYBUILD=overwrite cargo test -p racewright-compile-fail` and review the diff.
//! They depend on the rustc version (the CI toolchain, 1.95.0).
//!
//! This package depends on the macro crate alone, under the name `racewright`: trybuild
//! builds the dependencies again for its cases, and that stays a few seconds.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}

//! The catalogue of async concurrency bug patterns.
//!
//! Each pattern is one function taking a [`Variant`]: the buggy variant has the bug
//! racewright must find, the fixed variant the fix it must accept. The doc comment of
//! each function tells the interleaving that breaks the buggy one. `tests/detection.rs`
//! checks every entry; the `tour` example prints the reports of a few.

use futures::future::LocalBoxFuture;
use racewright::FailureKind;

pub mod abba_deadlock;
pub mod lost_update;

/// Which side of a pattern to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The code with the bug.
    Buggy,
    /// The same code, fixed.
    Fixed,
}

/// One pattern of the catalogue.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The pattern's module name.
    pub name: &'static str,
    /// What racewright must report for the buggy variant.
    pub expected: FailureKind,
    /// Runs one variant of the pattern.
    pub run: fn(Variant) -> LocalBoxFuture<'static, ()>,
}

/// Every pattern, in the order of the catalogue.
pub fn catalogue() -> Vec<Entry> {
    macro_rules! entry {
        ($module:ident, $kind:ident) => {
            Entry {
                name: stringify!($module),
                expected: FailureKind::$kind,
                run: |variant| Box::pin($module::scenario(variant)),
            }
        };
    }
    vec![entry!(lost_update, Panic), entry!(abba_deadlock, Deadlock)]
}

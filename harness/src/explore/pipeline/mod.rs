//! One test from start to report: which engine explores it (`engines.rs`), the shuttle
//! pipeline (`shuttle.rs`: kept failures first, the lanes, shrinking, the nondeterminism
//! check, the replay token, a replay stopped at a step with `stop.rs`), loom in a child
//! process (`child.rs`), and the watchdog (`watchdog.rs`, with `threads.rs`) that each
//! in-process exploration runs under.

mod child;
mod engines;
mod lanes;
pub(crate) mod origin;
pub(crate) mod regressions;
mod replay;
mod shrink;
mod shuttle;
mod stop;
mod threads;
mod watchdog;

pub(crate) use engines::run;
pub use stop::breakpoint;

/// A replay asked for: the token of a report, and the step to stop at, if any.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Replaying<'a> {
    pub(crate) token: &'a str,
    pub(crate) stop_at: Option<usize>,
}

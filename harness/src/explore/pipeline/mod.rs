//! One test from start to report: which engine explores it (`engines.rs`), the shuttle
//! pipeline (`shuttle.rs`: kept failures first, the lanes, shrinking, the nondeterminism
//! check, the replay token), loom in a child process (`child.rs`), and the watchdog
//! (`watchdog.rs`, with `threads.rs`) that each in-process exploration runs under.

mod child;
mod engines;
mod lanes;
pub(crate) mod origin;
pub(crate) mod regressions;
mod replay;
mod shrink;
mod shuttle;
mod threads;
mod watchdog;

pub(crate) use engines::run;

//! Plain data: what an execution is made of, with no behaviour that reaches an engine.
//!
//! The tasks and what each waits on or holds, the `tracing` spans each is in, the virtual
//! clock's timers, the findings, and source paths as reports show them. Every other layer may read these; they import
//! nothing of racewright's but each other.

pub(crate) mod failure;
pub(crate) mod metrics;
pub(crate) mod paths;
pub(crate) mod spans;
pub(crate) mod tasks;
pub(crate) mod timers;

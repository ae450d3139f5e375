//! Turns what happened in an execution into findings.
//!
//! Each detector is a file with one `detect` function that reads the execution's state
//! at a [`Moment`] and returns its findings; none knows of another. The engines call
//! [`judge`], the one entry point, at each moment; a new detector is a new file and a
//! line in [`DETECTORS`]. The findings that are not judged at a moment are built here
//! too: ERROR events (`error_events`, a `tracing` layer), a lock taken twice
//! (`deadlock::relocked`), loom's own verdicts (`engine_verdicts`) and a replay that
//! does not run the same way again (`nondeterminism`).

pub(crate) mod body;
pub(crate) mod deadlock;
pub(crate) mod engine_verdicts;
pub(crate) mod error_events;
pub(crate) mod leak;
pub(crate) mod nondeterminism;
pub(crate) mod step_limit;
pub(crate) mod unhandled_panic;

pub(crate) use crate::model::failure::{Failure, FailureKind, TaskRef};

use crate::run::execution::ExecutionState;

/// When an execution is judged.
pub(crate) enum Moment<'a> {
    /// The body has returned (or panicked): its outcome.
    BodyEnded(&'a Result<(), BodyFailure>),
    /// Nothing can run and no timer is pending, while the body has not returned.
    Stuck,
    /// The body has returned and every other task has finished or is blocked.
    Settled,
    /// The execution took more scheduling steps than `max_steps`.
    StepLimit,
}

/// Why the body did not return `Ok(())`.
pub(crate) enum BodyFailure {
    /// It returned `Err`, with the error's `Debug` form.
    Err(String),
    /// It panicked: the message and where.
    Panicked { message: String, location: Option<String> },
}

/// A detector: the findings it sees in `state` at `moment`.
type Detector = fn(&ExecutionState, &Moment<'_>) -> Vec<Failure>;

/// Every detector judged at a moment, in the order their findings are listed (a panic
/// nobody saw leads the deadlock or leak it caused).
const DETECTORS: &[Detector] =
    &[body::detect, unhandled_panic::detect, leak::detect, deadlock::detect, step_limit::detect];

/// Judges the execution at `moment`: every finding is recorded and ends the execution.
/// Returns how many there were.
pub(crate) fn judge(state: &mut ExecutionState, moment: Moment<'_>) -> usize {
    let findings: Vec<Failure> = DETECTORS.iter().flat_map(|detect| detect(state, &moment)).collect();
    let found = findings.len();
    for finding in findings {
        state.fail(finding);
    }
    found
}

//! What an engine found by itself and reported by panicking: loom's checks, as findings.

use super::{Failure, FailureKind, deadlock, nondeterminism, step_limit};
use crate::run::execution::ExecutionState;

/// The finding for a panic of loom's with `message`, in the execution `state`.
pub(crate) fn from_loom(state: &ExecutionState, message: &str) -> Failure {
    let first_line = crate::model::failure::first_line(message);
    if out_of_branches(message) {
        step_limit::finding(state)
            .detail("loom's branch limit was reached first (loom counts every access to a loom object)")
    } else if message.starts_with("deadlock") {
        deadlock::finding(state).detail("loom found every thread blocked")
    } else if message.contains("leaked") {
        Failure::new(FailureKind::Leak, format!("loom's leak check: {first_line}"))
    } else if message.contains("Is the model fully deterministic?") {
        nondeterminism::loom_lost_its_schedule()
    } else {
        Failure::new(FailureKind::Panic, format!("loom: {first_line}"))
            .detail("loom's own check failed (a misuse of a loom object, or a bug of racewright's loom engine)")
    }
}

/// Whether loom's panic `message` says an execution ran out of its branches.
pub(crate) fn out_of_branches(message: &str) -> bool {
    message.starts_with("Model exceeded maximum number of branches")
}

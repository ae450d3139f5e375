//! Nondeterminism: the same schedule, replayed, does not run the same way again.
//!
//! The scenario depends on something racewright does not control: real time, OS
//! randomness, a `HashMap`'s order, a thread of its own.

use super::{Failure, FailureKind};
use crate::run::execution::ExecutionState;
use crate::trace::Event;

/// Compares a failing execution with its replay (`None`: the replay did not fail).
pub(crate) fn compare(first: &ExecutionState, second: Option<&ExecutionState>) -> Option<Failure> {
    let Some(second) = second else {
        return Some(Failure::new(
            FailureKind::Nondeterminism,
            "replaying the failing schedule did not fail: the scenario depends on something racewright does not \
             control (real time, OS randomness, HashMap order, a thread of its own...)",
        ));
    };
    let (first_events, second_events) = (first.trace.events(), second.trace.events());
    let parted =
        first_events.iter().zip(second_events).position(|(a, b)| (a.task, a.operation) != (b.task, b.operation));
    let parted = parted
        .or_else(|| (first_events.len() != second_events.len()).then(|| first_events.len().min(second_events.len())));
    let same_kind = first.findings.first().map(Failure::kind) == second.findings.first().map(Failure::kind);
    if parted.is_none() && same_kind {
        return None;
    }
    let at = parted.unwrap_or(first_events.len());
    let describe = |events: &[Event]| {
        events
            .get(at)
            .map(|e| format!("task {} {} at step {}", e.task, e.operation, e.step))
            .unwrap_or("the end".into())
    };
    Some(
        Failure::new(
            FailureKind::Nondeterminism,
            format!(
                "the same schedule ran differently twice: the runs part at event {at} (the scenario depends on \
                 something racewright does not control: real time, OS randomness, HashMap order...)"
            ),
        )
        .detail(format!("first run: {}", describe(first_events)))
        .detail(format!("second run: {}", describe(second_events))),
    )
}

/// A replay could not follow its schedule: at `decision` the task `wanted` could not run.
pub(crate) fn diverged(decision: usize, wanted: &str, runnable: &[String]) -> Failure {
    Failure::new(
        FailureKind::Nondeterminism,
        format!(
            "the replay could not follow its schedule at decision {decision}: task {wanted} was to run, but only [{}] \
             could",
            runnable.join(", ")
        ),
    )
    .detail("the scenario ran differently from when the token was made, or the code changed since")
}

/// A replay's schedule ended after `decisions` decisions, and the execution went on.
pub(crate) fn outran(decisions: usize) -> Failure {
    Failure::new(
        FailureKind::Nondeterminism,
        format!("the replay's schedule ended after {decisions} decisions, but the execution went on"),
    )
    .detail("the scenario ran differently from when the schedule was recorded, or the code changed since")
}

/// Loom could not follow its own schedule again.
pub(crate) fn loom_lost_its_schedule() -> Failure {
    Failure::new(
        FailureKind::Nondeterminism,
        "loom could not follow its own schedule again: the scenario depends on something loom does not control \
         (real time, OS randomness, HashMap order...)",
    )
}

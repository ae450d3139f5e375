//! Step limit: an execution that never ends on its own (livelock, spin loop).

use std::collections::BTreeMap;

use super::{Failure, FailureKind, Moment, TaskRef};
use crate::run::execution::ExecutionState;

/// How many of the last decisions are looked at to tell which tasks kept running.
const RECENT_STEPS: usize = 1_000;

/// Describes an execution that reached `max_steps` scheduling decisions.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    if !matches!(moment, Moment::StepLimit) {
        return Vec::new();
    }
    vec![finding(state)]
}

/// The step-limit finding: which tasks kept running.
pub(crate) fn finding(state: &ExecutionState) -> Failure {
    let max_steps = state.settings.max_steps;
    let mut failure = Failure::new(
        FailureKind::StepLimit,
        format!("the execution took more than {max_steps} scheduling steps (livelock or spin loop?)"),
    );
    let recent = &state.scheduler.choices[state.scheduler.choices.len().saturating_sub(RECENT_STEPS)..];
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for key in recent {
        if let Some(task) = state.tasks.by_engine_key(*key) {
            *counts.entry(task.0).or_default() += 1;
        }
    }
    for (id, count) in counts {
        let task = state.tasks.get(crate::model::tasks::TaskId(id));
        let at = task
            .waiting
            .as_ref()
            .map(|wait| format!(", last waited in {} at {}", wait.operation, crate::model::paths::location(wait.at)))
            .unwrap_or_default();
        failure = failure.detail(format!("{} ran {count} of the last {} steps{at}", TaskRef::of(task), recent.len()));
    }
    failure
}

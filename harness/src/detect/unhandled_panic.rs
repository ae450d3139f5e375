//! Unhandled panics: a task panicked and nobody awaited its handle to see it.

use super::{Failure, FailureKind, Moment, TaskRef};
use crate::model::paths;
use crate::model::tasks::TaskState;
use crate::run::execution::ExecutionState;
use crate::run::settings::Policy;

/// One finding per task whose panic was never observed through its `JoinHandle`.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    let at_the_end = matches!(moment, Moment::Stuck | Moment::Settled);
    if !at_the_end || state.settings.unhandled_panics == Policy::Allow {
        return Vec::new();
    }
    state
        .tasks
        .iter()
        .filter(|task| task.state == TaskState::Panicked && !task.panic_observed && task.spawned_at.is_some())
        .map(|task| {
            let who = TaskRef::of(task);
            let (message, location) = task.panic.clone().unwrap_or_default();
            let handle = if task.detached { "its JoinHandle was dropped" } else { "its JoinHandle was never awaited" };
            let mut failure = Failure::new(
                FailureKind::UnhandledPanic,
                format!("task {who} panicked and nobody handled it: {message}"),
            )
            .at(location)
            .in_task(who)
            .detail(format!("nobody observed the panic: {handle}"));
            if let Some(spawned_at) = task.spawned_at {
                failure = failure.detail(format!("spawned at {}", paths::location(spawned_at)));
            }
            failure
        })
        .collect()
}

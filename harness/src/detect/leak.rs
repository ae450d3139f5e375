//! Leaked tasks: alive when the body has returned and every other task has settled.

use super::{Failure, FailureKind, Moment, TaskRef};
use crate::model::paths;
use crate::model::tasks::TaskId;
use crate::run::execution::ExecutionState;
use crate::run::settings::Policy;

/// One finding per task still alive at the end of a wound-down execution.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    if !matches!(moment, Moment::Settled) || state.settings.leaks == Policy::Allow {
        return Vec::new();
    }
    state
        .tasks
        .alive()
        .filter(|task| task.id != TaskId::BODY)
        .map(|task| {
            let who = TaskRef::of(task);
            let handle =
                if task.detached { "its JoinHandle was dropped (detached)" } else { "its JoinHandle is still held" };
            let mut failure =
                Failure::new(FailureKind::Leak, format!("task {who} was still alive when the test ended; {handle}"))
                    .in_task(who);
            if let Some(spawned_at) = task.spawned_at {
                failure = failure.detail(format!("spawned at {}", paths::location(spawned_at)));
            }
            match &task.waiting {
                Some(wait) => {
                    let on = wait
                        .resource
                        .map(|resource| format!(" on {}@{}", resource.kind, paths::short(resource.created_at)))
                        .unwrap_or_default();
                    failure = failure.at_location(wait.at).detail(format!(
                        "stuck in {}{on} at {}",
                        wait.operation,
                        paths::location(wait.at)
                    ));
                }
                None => {
                    failure = failure.detail("pending in a future that is not a racewright primitive".to_string());
                }
            }
            failure
        })
        .collect()
}

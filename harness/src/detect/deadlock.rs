//! Deadlock: every task is blocked and nothing can wake any of them.

use super::{Failure, FailureKind, TaskRef};
use crate::explore::execution::ExecutionState;

/// Describes the deadlock of an execution whose every task is blocked.
pub(crate) fn detect(state: &ExecutionState) -> Failure {
    let blocked: Vec<_> = state.tasks.alive().collect();
    let mut failure = Failure::new(
        FailureKind::Deadlock,
        format!("all {} unfinished tasks are blocked and nothing can wake them", blocked.len()),
    );
    if let Some(first) = blocked.first() {
        failure = failure.in_task(TaskRef::of(first));
        if let Some(wait) = &first.waiting {
            failure = failure.at_location(wait.at);
        }
    }
    for task in blocked {
        let who = TaskRef::of(task);
        let line = match &task.waiting {
            Some(wait) => format!("{who} is blocked in {}", wait.describe()),
            None => format!(
                "{who} is pending in a future that is not a racewright primitive and kept no wakeup (lost wakeup?)"
            ),
        };
        failure = failure.detail(line);
    }
    failure
}

//! Lost wakeups: a task waits for a wakeup that nothing can give it any more.
//!
//! The engine notes the moment it happens: a poll that returned `Pending` with no clone
//! of the waker kept, no racewright primitive waited on and no timer set (a hand-written
//! future that forgot `cx.waker()`), or the drop, unused, of the last clone kept by anyone
//! while the task waits (its slot overwritten by another task's waker, say). From then on
//! the task can only be aborted. It is judged when the execution is stuck, or at its end:
//! a task aborted meanwhile (`std::future::pending()` until cancelled, on purpose) is no
//! finding; one left behind, or waited for forever, is, and the report points at the
//! moment its wakeup was lost. At the end, a task nobody waits for follows the `leaks`
//! policy, as any task left behind.

use super::{Failure, FailureKind, Moment, TaskRef};
use crate::model::tasks::{TaskRecord, TaskState, Unwakeable};
use crate::run::execution::ExecutionState;
use crate::run::settings::Policy;

/// One finding per task whose wakeup was lost, once nothing else can happen.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    match moment {
        Moment::Stuck => {}
        Moment::Settled if state.settings.leaks == Policy::Deny => {}
        _ => return Vec::new(),
    }
    state
        .tasks
        .iter()
        .filter(|task| task.state == TaskState::Running && task.waiting.is_none() && !state.timers.owned_by(task.id))
        .filter_map(|task| Some(finding(state, task, task.unwakeable?)))
        .collect()
}

fn finding(state: &ExecutionState, task: &TaskRecord, how: Unwakeable) -> Failure {
    let who = TaskRef::of(task);
    let event = |index: Option<usize>| {
        let event = state.trace.events().get(index?)?;
        Some((event.operation, event.at.full()?))
    };
    match how {
        Unwakeable::KeptNoWaker { step, after } => {
            let mut failure = Failure::new(
                FailureKind::LostWakeup,
                format!(
                    "task {who} returned Pending at step {step} and nothing could wake it: its future kept no clone \
                     of the waker, and it waits in no racewright primitive and on no timer"
                ),
            )
            .in_task(who);
            failure = match event(after) {
                Some((operation, at)) => {
                    failure.at(Some(at.clone())).detail(format!("it returned Pending after {operation} at {at}"))
                }
                None => failure.detail("it returned Pending before any racewright operation".to_string()),
            };
            failure.detail(
                "a hand-written future (or `poll_fn`) must store `cx.waker().clone()` where the event it waits for \
                 will wake it, before it returns Pending"
                    .to_string(),
            )
        }
        Unwakeable::WakerDropped { step, by, after } => {
            let dropper =
                if by == task.id { "itself".to_string() } else { format!("task {}", TaskRef::of(state.tasks.get(by))) };
            let mut failure = Failure::new(
                FailureKind::LostWakeup,
                format!(
                    "task {who} waits for a wakeup that can no longer come: at step {step} the last clone of its \
                     waker was dropped, unused, by {dropper}"
                ),
            )
            .in_task(who);
            if let Some((operation, at)) = event(after) {
                failure = failure.at(Some(at.clone())).detail(format!("dropped after {dropper}'s {operation} at {at}"));
            }
            if let Some((operation, at)) = super::last_operation(state, task.id) {
                failure = failure.detail(format!("the waiting task's last operation: {operation} at {at}"));
            }
            failure.detail(
                "a waker slot that another waiter overwrites (one `Option<Waker>` for many waiters) loses the first \
                 waiter: keep one waker per waiter, or wake the one replaced"
                    .to_string(),
            )
        }
    }
}

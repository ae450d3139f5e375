//! Lost wakeups: a task waits for a wakeup that nothing can give it any more.
//!
//! Judged where it happens, not at the end: right after a poll that returned `Pending`
//! with no clone of the waker kept, no racewright primitive waited on and no timer set
//! (a hand-written future that forgot `cx.waker()`), and when the last clone kept by
//! anyone is dropped unused while the task waits (its slot overwritten by another
//! task's waker, say). Either way the task can never be polled again.

use super::{Failure, FailureKind, Moment, TaskRef, WakerUse};
use crate::model::tasks::TaskId;
use crate::runtime::execution::ExecutionState;

/// The lost wakeup of `moment`'s task, if it is one.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    match moment {
        Moment::Pending { task, waker: WakerUse { kept: 0, woken: false } } if nothing_wakes(state, *task) => {
            vec![kept_no_waker(state, *task)]
        }
        Moment::WakerDropped { task } if nothing_wakes(state, *task) => vec![waker_dropped(state, *task)],
        _ => Vec::new(),
    }
}

/// The task waits in no racewright primitive, on no timer, and has not ended.
fn nothing_wakes(state: &ExecutionState, task: TaskId) -> bool {
    let record = state.tasks.get(task);
    record.state == crate::model::tasks::TaskState::Running
        && !record.in_poll
        && record.waiting.is_none()
        && !state.timers.owned_by(task)
}

fn kept_no_waker(state: &ExecutionState, task: TaskId) -> Failure {
    let who = TaskRef::of(state.tasks.get(task));
    let mut failure = Failure::new(
        FailureKind::LostWakeup,
        format!(
            "task {who} returned Pending and nothing can wake it: its future kept no clone of the waker, \
             and it waits in no racewright primitive and on no timer"
        ),
    )
    .in_task(who);
    failure = match super::last_operation(state, task) {
        Some((operation, at)) => {
            failure.at(Some(at.clone())).detail(format!("its last operation: {operation} at {at}"))
        }
        None => failure.detail("it returned Pending before any racewright operation".to_string()),
    };
    failure.detail(
        "a hand-written future (or `poll_fn`) must store `cx.waker().clone()` where the event it waits for will \
         wake it, before it returns Pending"
            .to_string(),
    )
}

fn waker_dropped(state: &ExecutionState, task: TaskId) -> Failure {
    let lost = TaskRef::of(state.tasks.get(task));
    let dropper = state.current_task();
    let by =
        if dropper == task { "itself".to_string() } else { format!("task {}", TaskRef::of(state.tasks.get(dropper))) };
    let mut failure = Failure::new(
        FailureKind::LostWakeup,
        format!(
            "task {lost} waits for a wakeup that can no longer come: the last clone of its waker was dropped, \
             unused, by {by}"
        ),
    )
    .in_task(lost);
    if let Some((operation, at)) = super::last_operation(state, dropper) {
        failure =
            failure.at(Some(at.clone())).detail(format!("dropped after {by}'s last operation: {operation} at {at}"));
    }
    if let Some((operation, at)) = super::last_operation(state, task) {
        failure = failure.detail(format!("the waiting task's last operation: {operation} at {at}"));
    }
    failure.detail(
        "a waker slot that another waiter overwrites (one `Option<Waker>` for many waiters) loses the first \
         waiter: keep one waker per waiter, or wake the one replaced"
            .to_string(),
    )
}

//! What every facade operation does, in one place: it is called at a source location,
//! is a scheduling point, becomes an event of the trace, and keeps the bookkeeping of
//! what its task holds and waits on (for deadlock and leak reports).
//!
//! The primitives of `sync/` are written on these functions and on the rest of the seam,
//! and on nothing else of the execution: a new primitive is its own logic and a few calls
//! here.

use std::panic::Location;

use crate::model::tasks::Wait;
pub(crate) use crate::model::tasks::{Resource, TaskId};
use crate::run::execution;
use crate::trace::Transition;

/// Begins a facade operation: the caller's location, after a scheduling point.
///
/// A future's operation calls it at its first poll (`#[track_caller]` does not reach
/// into `poll`, so a future takes its location when it is made, and calls
/// [`super::scheduling_point`] when first polled).
#[track_caller]
#[inline]
pub(crate) fn begin() -> &'static Location<'static> {
    let at = Location::caller();
    super::scheduling_point();
    at
}

/// Runs a synchronous operation: a scheduling point, then `act`, recorded with the values
/// `detail` shows of its result.
#[track_caller]
#[inline]
pub(crate) fn run<R>(operation: &'static str, act: impl FnOnce() -> R, detail: impl FnOnce(&R) -> String) -> R {
    let at = begin();
    let result = act();
    record_with(operation, at, || detail(&result));
    result
}

/// Records an operation of the running task in the trace.
#[inline]
pub(crate) fn record(operation: &'static str, at: &'static Location<'static>) {
    execution::record(operation, at);
}

/// Records an operation of the running task with the values that matter.
#[inline]
pub(crate) fn record_with(operation: &'static str, at: &'static Location<'static>, detail: impl FnOnce() -> String) {
    execution::record_with(operation, at, detail);
}

/// The running task now holds (part of) `resource`, taken at `at`.
pub(crate) fn acquired(resource: Resource, at: &'static Location<'static>) {
    execution::acquired(resource, at);
}

/// A hold of `resource` taken at `at` was given back.
pub(crate) fn released(resource: Resource, at: &'static Location<'static>) {
    execution::released(resource, at);
}

/// Marks the running task as blocked in `operation` on `resource`: called by a facade
/// future right before it returns `Pending`, and by a blocking call before it parks.
pub(crate) fn wait(operation: &'static str, at: &'static Location<'static>, resource: Option<Resource>) {
    set_wait(Some(Wait { operation, at, resource }));
}

/// What the running task waits on, as the facade last said.
pub(crate) fn current_wait() -> Option<Wait> {
    execution::with(|state| state.tasks.get(state.current_task()).waiting.clone()).flatten()
}

/// Sets (or, with `None`, clears) what the running task waits on.
pub(crate) fn set_wait(wait: Option<Wait>) {
    execution::with(|state| {
        let task = state.current_task();
        if let Some(wait) = &wait {
            state.change(task, Transition::Blocked(wait.clone()));
        }
        state.tasks.get_mut(task).waiting = wait;
    });
}

/// The running task, inside an execution.
pub(crate) fn current_task() -> Option<TaskId> {
    execution::with(|state| state.current_task())
}

/// The running task among the tasks of every execution of the process: its execution and
/// its id there. `None` outside an execution.
pub(crate) fn task_identity() -> Option<(u64, TaskId)> {
    execution::with(|state| (state.serial, state.current_task()))
}

/// Whether `task` of the running execution is suspended at an `.await` (not being polled).
pub(crate) fn is_suspended(task: TaskId) -> bool {
    execution::with(|state| !state.tasks.get(task).in_poll).unwrap_or(false)
}

/// The running task asked for a lock it already holds since `held_at`, and would wait for
/// itself forever. Inside an execution that is a deadlock finding, and the execution ends
/// here; outside of one this returns, and the caller panics as std's lock would.
pub(crate) fn relocked(
    operation: &'static str,
    at: &'static Location<'static>,
    resource: Resource,
    held_at: &'static Location<'static>,
) {
    let found = execution::with(|state| {
        let task = state.current_task();
        state.record(operation, at, Some("already held".to_string()));
        let wait = Wait { operation, at, resource: Some(resource) };
        let finding = crate::detect::deadlock::relocked(state, task, &wait, held_at);
        state.change(task, Transition::Blocked(wait.clone()));
        state.tasks.get_mut(task).waiting = Some(wait);
        state.fail(finding);
    });
    if found.is_some() {
        // The scheduler ends a failed execution at its next decision.
        super::scheduling_point();
        unreachable!("racewright bug: an execution went on after a deadlock ended it");
    }
}

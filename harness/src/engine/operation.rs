//! What every facade operation does, in one place: it is called at a source location,
//! is a scheduling point, becomes an event of the trace, and keeps the bookkeeping of
//! what its task holds and waits on (for deadlock and leak reports).
//!
//! The primitives of `sync/` are written on these functions and on the rest of the seam,
//! and on nothing else of the execution: a new primitive is its own logic and a few calls
//! here.

use std::panic::Location;

use crate::detect::{self, Growth, Moment};
use crate::model::tasks::Wait;
pub(crate) use crate::model::tasks::{Resource, TaskId};
use crate::run::{execution, queues};
use crate::trace::Transition;

/// Begins a facade operation: the caller's location, after a scheduling point. Inside a
/// poll the switch, if any, waits for the next point where the task returns `Pending`
/// (see [`super::poll_point`]): a synchronous call of tokio's never suspends its task.
///
/// A future's operation calls it at its first poll (`#[track_caller]` does not reach
/// into `poll`, so a future takes its location when it is made, and calls
/// [`super::scheduling_point`] when first polled).
#[track_caller]
#[inline]
pub(crate) fn begin() -> &'static Location<'static> {
    let at = Location::caller();
    super::scheduling_point();
    notice_tokio_runtime();
    at
}

/// Begins an operation of racewright's own primitives that have no tokio counterpart
/// (atomics, the blocking locks): its scheduling point switches at once, even inside a
/// poll ([`super::preemption_point`]).
#[track_caller]
#[inline]
pub(crate) fn begin_preemptive() -> &'static Location<'static> {
    let at = Location::caller();
    super::preemption_point();
    notice_tokio_runtime();
    at
}

/// Runs a synchronous operation as [`run`] does, with a scheduling point that switches
/// at once ([`begin_preemptive`]).
#[track_caller]
#[inline]
pub(crate) fn run_preemptive<R>(
    operation: &'static str,
    act: impl FnOnce() -> R,
    detail: impl FnOnce(&R) -> String,
) -> R {
    let at = begin_preemptive();
    let result = act();
    record_with(operation, at, || detail(&result));
    result
}

/// The note of an execution that ran inside a tokio runtime of the test's own.
const NESTED_RUNTIME: &str = "racewright was called inside a tokio runtime of the test's own (Runtime::block_on?): \
     racewright does not control that runtime, whose tasks, timers and I/O run outside the exploration; use \
     racewright's primitives and racewright::spawn, or racewright's tokio switch (README, \"What racewright cannot \
     see\")";

/// Notes that the running task is inside a tokio runtime's context, when an execution
/// runs: no runtime is entered by racewright there, so the test entered one of its own
/// (`Runtime::block_on`, `Handle::enter`) and calls racewright from inside it.
#[inline]
fn notice_tokio_runtime() {
    if execution::is_active() && ::tokio::runtime::Handle::try_current().is_ok() {
        execution::with(|state| state.note(NESTED_RUNTIME));
    }
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

/// Marks the running task as waiting in `operation` on `resource`: called by a facade
/// future right before it returns `Pending` (an await point, judged as such).
pub(crate) fn wait(operation: &'static str, at: &'static Location<'static>, resource: Option<Resource>) {
    set_wait(Some(Wait { operation, at, resource, awaits: None }));
    awaiting(operation, at);
}

/// Marks the running task as blocked in `operation` until `task` ends (its `JoinHandle`).
pub(crate) fn wait_for_task(operation: &'static str, at: &'static Location<'static>, task: TaskId) {
    set_wait(Some(Wait { operation, at, resource: None, awaits: Some(task) }));
    awaiting(operation, at);
}

/// Marks the running task as blocked in `operation` on `resource`: called by a blocking
/// call before it parks (not an await point).
pub(crate) fn block(operation: &'static str, at: &'static Location<'static>, resource: Option<Resource>) {
    set_wait(Some(Wait { operation, at, resource, awaits: None }));
}

/// A facade future of the running task is about to return `Pending` in `operation` at
/// `at`: the task suspends there (unless a `join!` polls another of its futures).
pub(crate) fn awaiting(operation: &'static str, at: &'static Location<'static>) {
    execution::with(|state| {
        let task = state.current_task();
        detect::judge(state, Moment::Awaiting { task, operation, at });
    });
}

/// What the running task waits on, as the facade last said.
pub(crate) fn current_wait() -> Option<Wait> {
    execution::with(|state| state.tasks.get(state.current_task()).waiting.clone()).flatten()
}

/// Sets (or, with `None`, clears) what the running task waits on.
pub(crate) fn set_wait(wait: Option<Wait>) {
    execution::with(|state| {
        let task = state.current_task();
        let now = state.timers.now();
        if let Some(wait) = &wait {
            state.change(task, Transition::Blocked(wait.clone()));
        }
        let record = state.tasks.get_mut(task);
        match &wait {
            Some(_) => record.suspend(now),
            None => record.resume(now),
        }
        record.waiting = wait;
    });
}

/// The running task put a value into the queue `resource` (a channel, a `JoinSet`) at
/// `at`; it now holds `len`. Past `max_queue`, an unbounded queue is judged. Returns the
/// running task, inside an execution.
pub(crate) fn queued(
    resource: Resource,
    unbounded: bool,
    len: usize,
    at: &'static Location<'static>,
) -> Option<TaskId> {
    execution::with(|state| {
        let task = state.current_task();
        state.queues.pushed(resource, unbounded, len, task, at);
        if unbounded && len > state.settings.max_queue && !state.stopping {
            detect::judge(state, Moment::Grew(Growth::Queue(resource)));
        }
        task
    })
}

/// A value was taken out of the queue `resource`; it now holds `len`.
pub(crate) fn dequeued(resource: Resource, len: usize) {
    execution::with(|state| state.queues.popped(resource, len));
}

/// The running task dropped the receiving end of `channel` with `count` messages in it,
/// sent by `senders` (as far as they are known): they are lost.
pub(crate) fn messages_lost(
    channel: Resource,
    count: usize,
    senders: impl IntoIterator<Item = (TaskId, &'static Location<'static>)>,
) {
    execution::with(|state| {
        // The engine tearing an execution down drops what it holds: not the program's doing.
        if state.stopping || state.tearing_down || count == 0 {
            return;
        }
        let dropped_by = state.current_task();
        let mut producers = Vec::new();
        for (task, at) in senders {
            queues::add(&mut producers, task, at, 1);
        }
        let dropped_after = state.trace.last_index_of(dropped_by);
        state.queues.lost.push(queues::LostMessages { channel, count, senders: producers, dropped_by, dropped_after });
    });
}

/// A task was just spawned: counted among the tasks alive at once, and judged when the
/// spawned tasks alive (the body is not one of them) pass `max_queue`.
pub(crate) fn spawned(state: &mut execution::ExecutionState) {
    let alive = state.tasks.alive().count();
    state.most_tasks = state.most_tasks.max(alive);
    if alive - 1 > state.settings.max_queue && !state.stopping {
        detect::judge(state, Moment::Grew(Growth::Tasks));
    }
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
        state.record(operation, at, Some(|| "already held".to_string()));
        let wait = Wait { operation, at, resource: Some(resource), awaits: None };
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

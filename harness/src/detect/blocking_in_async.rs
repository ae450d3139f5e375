//! Blocking in async code: a task that blocks the thread polling it.
//!
//! Two forms. A task returned `Pending` (it awaits) while holding a `sync::blocking`
//! lock's guard: every task that wants the lock meanwhile blocks its thread, and on a
//! runtime with one thread, or when the holder is polled by the thread that blocks,
//! nothing can release it. And, with `flavor = "current_thread"`, any blocking wait (a
//! contended blocking lock, `Condvar::wait`): the runtime's only thread stops there, and
//! every other task with it, as on tokio's current-thread runtime.

use super::{Failure, FailureKind, Moment, TaskRef};
use crate::model::paths;
use crate::model::tasks::{TaskId, TaskState};
use crate::run::execution::ExecutionState;
use crate::run::settings::Flavor;

/// The blocking of `moment`'s task, if it blocks its thread.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    match moment {
        Moment::Pending { task } => held_across_await(state, *task, || {
            super::last_operation(state, *task)
                .map(|(operation, at)| (format!("it returned Pending after {operation} at {at}"), at))
        })
        .into_iter()
        .collect(),
        Moment::Awaiting { task, operation, at } => held_across_await(state, *task, || {
            let at = paths::location(at);
            Some((format!("it awaits in {operation} at {at}"), at))
        })
        .into_iter()
        .collect(),
        Moment::BlockingWait { task } if state.settings.flavor == Flavor::CurrentThread => {
            blocked_the_runtime(state, *task).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// `task` awaits (`place` says where, and the location) while it holds a blocking lock.
fn held_across_await(
    state: &ExecutionState,
    task: TaskId,
    place: impl FnOnce() -> Option<(String, String)>,
) -> Option<Failure> {
    let hold = state.holds.iter().find(|hold| hold.task == task && hold.resource.blocks_thread)?;
    let who = TaskRef::of(state.tasks.get(task));
    let mut failure = Failure::new(
        FailureKind::BlockingInAsync,
        format!(
            "task {who} awaits while holding a {}: a blocking lock's guard held across an `.await` blocks \
             every thread that locks it meanwhile, and nothing can release it there",
            hold.resource.kind
        ),
    )
    .in_task(who);
    failure = match place() {
        Some((place, at)) => failure.at(Some(at)).detail(place),
        None => failure.at_location(hold.at),
    };
    Some(
        failure
            .detail(format!("{} locked at {}", hold.resource, paths::location(hold.at)))
            .detail("drop the guard before the `.await`, or use the async `sync::Mutex`".to_string()),
    )
}

/// `task`, with every task on one thread, is about to block that thread.
fn blocked_the_runtime(state: &ExecutionState, task: TaskId) -> Option<Failure> {
    let record = state.tasks.get(task);
    let wait = record.waiting.as_ref()?;
    let who = TaskRef::of(record);
    let mut failure = Failure::new(
        FailureKind::BlockingInAsync,
        format!(
            "task {who} blocked the runtime's only thread in {}: with flavor = \"current_thread\" no other task \
             can run until it returns",
            wait.operation
        ),
    )
    .at_location(wait.at)
    .in_task(who.clone())
    .detail(format!("{who} is blocked in {}", wait.describe()));
    if let Some(resource) = wait.resource {
        for hold in state.holds.iter().filter(|hold| hold.resource.same(&resource) && hold.task != task) {
            failure = failure.detail(format!(
                "held by {} (acquired at {}), which cannot run to release it",
                TaskRef::of(state.tasks.get(hold.task)),
                paths::location(hold.at)
            ));
        }
    }
    let stalled: Vec<String> = state
        .tasks
        .iter()
        .filter(|other| other.id != task && other.state == TaskState::Running)
        .map(|other| TaskRef::of(other).to_string())
        .collect();
    if !stalled.is_empty() {
        failure = failure.detail(format!("stalled with it: {}", stalled.join(", ")));
    }
    Some(
        failure.detail(
            "on a multi-threaded runtime this works only while another worker thread is free: wait with an async \
         primitive (sync::Notify, a channel) instead"
                .to_string(),
        ),
    )
}

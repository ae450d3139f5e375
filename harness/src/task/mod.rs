//! Tasks: `spawn`, `Builder`, `JoinHandle`, `JoinError`, `yield_now`, as in `tokio::task`.

mod builder;
pub mod coop;
mod id;
mod join;
mod join_set;
mod local;
mod task_local;
mod yield_now;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pub use builder::Builder;
pub use coop::{Unconstrained, consume_budget, unconstrained};
pub use id::{Id, id, try_id};
pub use join::{AbortHandle, JoinError, JoinHandle};
pub use join_set::JoinSet;
pub use local::{LocalEnterGuard, LocalSet, spawn_local};
pub use task_local::{AccessError, LocalKey};
pub use yield_now::yield_now;

use crate::engine::{self, CatchPanic, Instrumented};

/// The named futures of tasks, as `tokio::task::futures`.
pub mod futures {
    pub use super::task_local::TaskLocalFuture;
}

#[doc(hidden)]
pub mod __private {
    pub use super::task_local::Slots;
}
use crate::model::tasks::{TaskId, TaskState};
use crate::run::execution;
use crate::trace::Transition;
use join::{Ended, JoinSlot};

/// Spawns a new task, as `tokio::spawn`: it runs concurrently with the caller, and a
/// panic inside it is caught and handed to whoever awaits its [`JoinHandle`].
///
/// ```
/// # racewright::check(|| async {
/// let handle = racewright::spawn(async { 6 * 7 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_named(future, None, Location::caller())
}

pub(crate) fn spawn_named<F>(future: F, name: Option<String>, at: &'static Location<'static>) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_as(future, name, Kind::Async, None, at)
}

/// What a spawned task runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A future, as `spawn`.
    Async,
    /// Blocking code, as `spawn_blocking`: the future does it all in its first poll.
    Blocking,
}

/// Spawns `future` as a task of `kind`, on the runtime of `on` (outside a run) or the
/// ambient one.
pub(crate) fn spawn_as<F>(
    future: F,
    name: Option<String>,
    kind: Kind,
    on: Option<&engine::tokio::RuntimeHandle>,
    at: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // `engine::spawn` below is the scheduling point.
    let task = execution::with(|state| {
        let task = state.tasks.spawn(name, at);
        state.tasks.get_mut(task).blocking = kind == Kind::Blocking;
        // Named only for the trace, which the search does not keep.
        let detail = (state.settings.record_trace)
            .then(|| format!("task {task} \"{}\"", state.tasks.get(task).label()))
            .map(|detail| move || detail);
        state.record("spawn", at, detail);
        state.change(task, Transition::Spawned);
        engine::spawned(state);
        task
    });
    let slot = Arc::new(JoinSlot::new());
    let main = TaskMain::new(future, slot.clone(), task);
    let raw = match (kind, on) {
        (Kind::Async, None) => engine::spawn(main),
        (Kind::Async, Some(handle)) => engine::spawn_on(main, handle),
        (Kind::Blocking, on) => engine::spawn_blocking(main, on),
    };
    JoinHandle::new(slot, raw, task, at)
}

/// A local task's future and its result's slot, for a `LocalSet` to run (not spawned: its
/// owner polls it).
pub(crate) fn local_task<F>(future: F) -> (Arc<JoinSlot<F::Output>>, engine::LocalTaskFuture)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let slot = Arc::new(JoinSlot::new());
    let main = TaskMain::new(future, slot.clone(), None);
    (slot, Box::pin(main))
}

/// Runs the blocking function `f` as a task of its own, as `tokio::task::spawn_blocking`:
/// inside a run a task that may block (its blocking calls block it alone, tokio's
/// `blocking_*` methods included), explored with the others; outside one, on tokio's
/// blocking pool. Aborting it does nothing once it has started, as tokio's.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::mpsc;
///
/// let (tx, mut rx) = mpsc::channel(1);
/// let producer = racewright::task::spawn_blocking(move || tx.blocking_send(42).unwrap());
/// assert_eq!(rx.recv().await, Some(42));
/// producer.await.unwrap();
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    spawn_as(async move { f() }, None, Kind::Blocking, None, Location::caller())
}

/// Runs the blocking function `f` in place, as `tokio::task::block_in_place`: the task
/// may block meanwhile (tokio's `blocking_*` methods included). Outside a run it is
/// tokio's, which panics on a current-thread runtime.
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    engine::block_in_place(f)
}

pin_project! {
    /// The future the engine runs for a spawned task, its future held in place: publishes
    /// its result, or a cancellation when the engine drops it unfinished.
    struct TaskMain<F: Future> {
        // Emptied when dropped unfinished, to drop it first (see `drop`).
        #[pin]
        inner: Option<CatchPanic<Instrumented<F>>>,
        slot: Option<Arc<JoinSlot<F::Output>>>,
        task: Option<TaskId>,
    }

    impl<F: Future> PinnedDrop for TaskMain<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let Some(slot) = this.slot.take() else { return };
            // Dropped unfinished (aborted, or its runtime gone): the future goes first, and a
            // panic of its drop is the task's outcome, as tokio's.
            let task = *this.task;
            match CatchPanic::drop_in_place(this.inner) {
                Ok(()) => {
                    set_state(task, TaskState::Cancelled, None);
                    slot.complete(Err(Ended::Cancelled));
                }
                Err(panicked) => {
                    set_state(task, TaskState::Panicked, Some((panicked.message.clone(), panicked.location.clone())));
                    slot.complete(Err(Ended::Panicked(panicked)));
                }
            }
        }
    }
}

impl<F: Future> TaskMain<F> {
    fn new(future: F, slot: Arc<JoinSlot<F::Output>>, task: Option<TaskId>) -> Self {
        TaskMain { inner: Some(CatchPanic::new(Instrumented::new_spawned(task, future))), slot: Some(slot), task }
    }
}

impl<F: Future> Future for TaskMain<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let inner = this.inner.as_pin_mut().expect("a task's future is there until it is dropped");
        let result = match inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        let task = *this.task;
        let result = match result {
            Ok(output) => {
                set_state(task, TaskState::Finished, None);
                Ok(output)
            }
            Err(panicked) => {
                set_state(task, TaskState::Panicked, Some((panicked.message.clone(), panicked.location.clone())));
                Err(Ended::Panicked(panicked))
            }
        };
        if let Some(slot) = this.slot.take() {
            slot.complete(result);
        }
        Poll::Ready(())
    }
}

fn set_state(task: Option<TaskId>, state: TaskState, panic: Option<(String, Option<String>)>) {
    if let Some(task) = task {
        execution::with(|execution| {
            // Once an execution stops, the engine drops its tasks: that is not their outcome.
            if execution.stopping {
                return;
            }
            if let Some((message, location)) = &panic {
                let step = execution.scheduler.steps;
                execution.trace.push_ending(step, task, "panicked", location.clone(), message);
            }
            let record = execution.tasks.get_mut(task);
            record.state = state;
            record.waiting = None;
            record.panic = panic;
            execution.change(task, Transition::Ended(state));
        });
    }
}

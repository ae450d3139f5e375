//! What shuttle's executor polls for each task of racewright's (the body and every spawned
//! task): the task's future, with what each poll means to the exploration at its start and
//! at its end; and the handle racewright keeps of a spawned task, which detaches or aborts it.
//!
//! A task is spawned on shuttle's executor directly rather than through shuttle's
//! `future::spawn`, whose join handle (a result slot under a mutex, an abort flag, each
//! behind an `Arc`, and the future boxed) racewright has its own of (`task/join.rs`):
//! three allocations and a lock fewer per spawn.

use std::cell::RefCell;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::task::TaskId as ShuttleTaskId;

use crate::run::execution;

/// The stack of each task's continuation (shuttle's default).
pub(super) const STACK_SIZE: usize = 0xf000;

thread_local! {
    /// The tasks of the execution running on this thread that were aborted (few, if any).
    static ABORTED: RefCell<Vec<ShuttleTaskId>> = const { RefCell::new(Vec::new()) };
}

/// Forgets the aborts of the execution before (shuttle numbers each execution's tasks from 0).
pub(super) fn reset() {
    ABORTED.with(|aborted| aborted.borrow_mut().clear());
}

/// Spawns `future` as a task; shuttle makes this a scheduling point. The task is attached
/// (an execution whose body ends waits for it) until its handle is dropped.
pub(super) fn spawn<F: Future<Output = ()> + 'static>(future: F) -> Spawned {
    // Not `#[track_caller]`: shuttle's signature of the task names this spawn, as it named
    // racewright's call of shuttle's `future::spawn`.
    let key = ExecutionState::spawn_future(Polled::new(future), STACK_SIZE, None, Location::caller());
    Spawned(TaskKey { key, execution: execution::serial() })
}

/// A spawned task of one execution: shuttle's id, and the execution's serial, so that a
/// handle kept past its execution touches no task of a later one.
#[derive(Clone, Copy)]
pub(crate) struct TaskKey {
    key: ShuttleTaskId,
    execution: u64,
}

impl TaskKey {
    /// Runs `f` on shuttle's state if the task's execution is running on this thread and has
    /// not finished.
    fn in_its_execution(self, f: impl FnOnce(&mut ExecutionState)) {
        if execution::serial() != self.execution {
            return;
        }
        let _ = ExecutionState::try_with(|state| {
            if !state.is_finished() {
                f(state);
            }
        });
    }

    /// Cancels the task at its next poll (a scheduling point first, as shuttle's abort): its
    /// future is dropped unpolled, and the task finishes.
    pub(crate) fn abort(self) {
        super::scheduling_point();
        self.in_its_execution(|state| {
            let first = ABORTED.with(|aborted| {
                let mut aborted = aborted.borrow_mut();
                let first = !aborted.contains(&self.key);
                if first {
                    aborted.push(self.key);
                }
                first
            });
            // Woken to be dropped at its next poll.
            if first {
                state.get_mut(self.key).abort();
            }
        });
    }
}

/// Racewright's handle of a spawned task: dropping it detaches the task (an execution whose
/// body ends no longer waits for it), as dropping shuttle's join handle does.
pub(crate) struct Spawned(TaskKey);

impl Spawned {
    /// What aborts the task, apart from this handle.
    pub(crate) fn key(&self) -> TaskKey {
        self.0
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let key = self.0.key;
        self.0.in_its_execution(|state| state.detach(key));
    }
}

pin_project! {
    /// A task's future as shuttle polls it; emptied once it finished or was aborted.
    pub(super) struct Polled<F> {
        #[pin]
        future: Option<F>,
        // A spawned task's: dropped as its future finishes. (The body runs on shuttle's
        // main thread, whose end drops them.)
        drops_locals: bool,
    }
}

impl<F> Polled<F> {
    /// A spawned task's future.
    pub(super) fn new(future: F) -> Self {
        Polled { future: Some(future), drops_locals: true }
    }

    /// The body's future.
    pub(super) fn body(future: F) -> Self {
        Polled { future: Some(future), drops_locals: false }
    }
}

impl<F: Future<Output = ()>> Future for Polled<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let (mut future, drops_locals) = (this.future, *this.drops_locals);
        if begin_poll() == Begin::Aborted {
            finish(future, drops_locals);
            return Poll::Ready(());
        }
        let Some(inner) = future.as_mut().as_pin_mut() else { return Poll::Ready(()) };
        let poll = inner.poll(cx);
        // The task may be about to block, with no other that can run.
        super::idle::before_blocking();
        if poll.is_ready() {
            finish(future, drops_locals);
        }
        poll
    }
}

/// How a poll of a task begins.
#[derive(PartialEq, Eq)]
enum Begin {
    Poll,
    /// The task was aborted: its future is dropped, not polled.
    Aborted,
}

/// Tells whether the running task was aborted; if not, forgets a wake of it from before
/// this poll: the poll sees what the wake announced. Shuttle's executor keeps a wake until
/// the task's next `Pending`, and would then poll the task once more for nothing (a wake
/// that let a `JoinHandle`'s await finish would make the next await's `Pending` a spurious
/// poll, a decision and a poll that tokio never makes, and which would rescue a future that
/// returned `Pending` with no waker kept). A wake during the poll still has the task polled
/// again.
fn begin_poll() -> Begin {
    ExecutionState::with(|state| {
        let task = state.current_mut();
        let me = task.id();
        if ABORTED.with(|aborted| {
            let aborted = aborted.borrow();
            !aborted.is_empty() && aborted.contains(&me)
        }) {
            return Begin::Aborted;
        }
        // Clears the wake; a task that was not woken is put to sleep, and made runnable
        // again at once: it is running.
        task.sleep_unless_woken();
        task.unblock();
        Begin::Poll
    })
}

/// The task finished, or was aborted: its future is dropped first, on its own stack, then
/// its task-local values (as shuttle's own tasks do), unless the execution is over.
fn finish<F>(mut future: Pin<&mut Option<F>>, drops_locals: bool) {
    future.set(None);
    if drops_locals && ExecutionState::try_with(|state| state.is_finished()) == Ok(false) {
        ExecutionState::drop_task_locals();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use crate::Scenario;
    use crate::sync::Notify;
    use crate::task::AbortHandle;

    #[test]
    fn a_handle_kept_past_its_execution_aborts_no_task_of_a_later_one() {
        static KEPT: Mutex<Option<AbortHandle>> = Mutex::new(None);
        let report = Scenario::new("shuttle::stale_abort").iterations(10).threads(1).run(|| async {
            let go = Arc::new(Notify::new());
            // Shuttle numbers each execution's tasks from 0: this task has the id the kept
            // handle's task had in the execution before.
            let task = crate::spawn({
                let go = go.clone();
                async move {
                    go.notified().await;
                    7
                }
            });
            if let Some(stale) = KEPT.lock().unwrap().take() {
                stale.abort();
            }
            go.notify_one();
            *KEPT.lock().unwrap() = Some(task.abort_handle());
            assert_eq!(task.await.unwrap(), 7, "not aborted");
        });
        assert!(report.failure().is_none() && report.harness_error().is_none(), "{report}");
        assert!(KEPT.lock().unwrap().is_some());
    }
}

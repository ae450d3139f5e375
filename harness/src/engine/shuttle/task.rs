//! What shuttle's executor polls for each task of racewright's (the body and every spawned
//! task): the task's future, with what each poll means to the exploration at its start and
//! at its end.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use shuttle_engine::runtime::execution::ExecutionState;

/// A task's future as shuttle polls it.
pub(super) struct Polled<F>(pub(super) F);

impl<F: Future + Unpin> Future for Polled<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        forget_earlier_wake();
        let poll = Pin::new(&mut self.0).poll(cx);
        // The task may be about to block, with no other that can run.
        super::idle::before_blocking();
        poll
    }
}

/// Forgets a wake of the running task from before this poll: the poll sees what the wake
/// announced. Shuttle's executor keeps a wake until the task's next `Pending`, and would
/// then poll the task once more for nothing (a wake that let a `JoinHandle`'s await finish
/// would make the next await's `Pending` a spurious poll, a decision and a poll that
/// tokio never makes, and which would rescue a future that returned `Pending` with no waker
/// kept). A wake during the poll still has the task polled again.
fn forget_earlier_wake() {
    ExecutionState::with(|state| {
        let task = state.current_mut();
        // Clears the wake; a task that was not woken is put to sleep, and made runnable
        // again at once: it is running.
        task.sleep_unless_woken();
        task.unblock();
    });
}

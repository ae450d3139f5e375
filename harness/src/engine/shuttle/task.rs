//! What shuttle's executor polls for each task of racewright's (the body and every spawned
//! task): the task's future, with what each poll means to the exploration at its start and
//! at its end.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use shuttle_engine::runtime::execution::ExecutionState;

pin_project! {
    /// A task's future as shuttle polls it.
    pub(super) struct Polled<F> {
        #[pin]
        future: F,
    }
}

impl<F> Polled<F> {
    pub(super) fn new(future: F) -> Self {
        Polled { future }
    }
}

impl<F: Future> Future for Polled<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        forget_earlier_wake();
        let poll = self.project().future.poll(cx);
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

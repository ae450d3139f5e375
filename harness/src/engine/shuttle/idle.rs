//! The idle task: what happens when no task of the user's can run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::engine::body::when_nothing_can_run;
use crate::run::execution;

/// The task the scheduler runs only when every other task is blocked, or, with
/// `time = "any"`, when the strategy chooses to let time pass.
///
/// It is always runnable, so shuttle never declares a deadlock itself; when it runs
/// because nothing else can, it decides what that means: the clock moves to the next
/// timer, or the body is winding down and may finish, or the execution is deadlocked.
pub(super) struct IdleTask;

impl Future for IdleTask {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A thread outside the execution may have asked something of a blocked task.
        crate::engine::foreign::carry_out();
        let wake = execution::with(when_nothing_can_run);
        for waker in wake.flatten().into_iter().flatten() {
            waker.wake();
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

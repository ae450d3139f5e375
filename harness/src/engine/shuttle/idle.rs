//! The idle task: what happens when no task of the user's can run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::detect;
use crate::explore::execution::{self, IdleReason};

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
        let wake = execution::with(|state| {
            let reason = state.idle_reason.take()?;
            if state.stopping {
                return None;
            }
            if let Some((now, fired)) = state.timers.fire_next() {
                let at = crate::time::timers::display(now);
                for (owner, _) in &fired {
                    state.trace.push_note(state.steps, *owner, "timer fired", format!("t={at}"));
                }
                return Some(fired.into_iter().map(|(_, waker)| waker).collect());
            }
            if reason == IdleReason::LetTimePass {
                return None;
            }
            if let Some(body) = state.winding_down.take() {
                state.settled = true;
                return Some(vec![body]);
            }
            // A panic nobody saw is often why the others wait forever: it leads.
            for finding in detect::unhandled_panic::detect(state) {
                state.report(finding);
            }
            let finding = detect::deadlock::detect(state);
            state.fail(finding);
            None
        });
        for waker in wake.flatten().into_iter().flatten() {
            waker.wake();
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

//! `timeout` and `timeout_at`.

use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use super::error::Elapsed;
use super::traced::TracedTimer;
use crate::engine::{self, current_wait, set_wait};
use crate::model::timers::display;
use crate::run::execution;

/// Bounds `future` by `duration`, as `tokio::time::timeout`: `Ok` with its output if it
/// completes first, `Err(Elapsed)` (and the future dropped, cancelled) otherwise.
///
/// The race between the two is explored with `time = "any"`, where the clock may reach
/// the deadline while the work is still on its way; with the default `time = "idle"` the
/// clock moves only when every task is blocked, so work that is only slow never times out.
///
/// ```
/// use racewright::time::{Duration, sleep, timeout};
///
/// racewright::check(|| async {
///     let quick = async { sleep(Duration::from_millis(10)).await; 7 };
///     assert_eq!(timeout(Duration::from_millis(100), quick).await, Ok(7));
///     let slow = sleep(Duration::from_secs(1));
///     assert!(timeout(Duration::from_millis(100), slow).await.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    let deadline = TracedTimer::deadline_after(duration);
    Timeout {
        value: future.into_future(),
        timer: TracedTimer::new(deadline, Some(duration), "time::timeout", Location::caller()),
    }
}

/// Bounds `future` by `deadline`, as `tokio::time::timeout_at`.
///
/// ```
/// use racewright::time::{Duration, Instant, sleep, timeout_at};
///
/// racewright::check(|| async {
///     let deadline = Instant::now() + Duration::from_secs(1);
///     assert!(timeout_at(deadline, sleep(Duration::from_secs(2))).await.is_err());
///     assert_eq!(Instant::now(), deadline);
/// });
/// ```
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        value: future.into_future(),
        timer: TracedTimer::new(deadline.since_origin(), None, "time::timeout", Location::caller()),
    }
}

/// The future of [`timeout`] and [`timeout_at`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timeout<T> {
    /// Structurally pinned.
    value: T,
    timer: TracedTimer,
}

impl<T> Timeout<T> {
    /// The bounded future.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The bounded future.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// The bounded future, giving up the timeout.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `value` is structurally pinned: never moved while pinned (`into_inner` takes
        // an unpinned `self`, and `Timeout` has no `Drop`); `timer` is `Unpin` and not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let value = unsafe { Pin::new_unchecked(&mut this.value) };
        std::task::ready!(this.timer.start(cx));
        let before = current_wait();
        let had_budget = engine::has_budget_remaining();
        // The value first, as tokio: if both are ready, the work wins.
        if let Poll::Ready(output) = value.poll(cx) {
            this.timer.finish();
            set_wait(before);
            return Poll::Ready(Ok(output));
        }
        let value_waits = current_wait().is_some();
        // As tokio: when the value spent the last of the task's budget, the timer is polled
        // without it, or a value that spends it all at every poll would never time out.
        let timer = &mut this.timer;
        let elapsed = if had_budget && !engine::has_budget_remaining() {
            engine::coop::poll_unconstrained(cx, |cx| timer.poll(cx, value_waits))
        } else {
            timer.poll(cx, value_waits)
        };
        match elapsed {
            Poll::Ready(()) => {
                set_wait(before);
                let at = this.timer.at();
                execution::with(|state| {
                    let now = display(state.timers.now());
                    state.record("time::timeout", at, Some(|| format!("elapsed at t={now}")));
                });
                Poll::Ready(Err(Elapsed(())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Timeout<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeout")
            .field("value", &self.value)
            .field("deadline", &Instant::from_clock(self.timer.timer().deadline()))
            .finish()
    }
}

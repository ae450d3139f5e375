//! A rate limiter: `burst` acquisitions per `period`, refilled by one `Sleep` that every
//! waiting task polls.
//!
//! The refill's `Sleep` is polled inside the limiter's critical section, under its
//! `std::sync::Mutex`, as limiters that keep their timer in their state do. A tool that
//! switched tasks inside that poll would run a task that blocks the only thread on the
//! same lock; racewright switches only where a task returns `Pending`, as tokio does.
//!
//! The planted bug ([`Limiter::with_one_waker`]): a `Sleep` keeps the waker of the last
//! task that polled it, so when two tasks wait for the refill, only the last one is woken.
//! It takes the token and goes; the other sleeps forever, though tokens come back every
//! period. [`Limiter::new`] keeps the waker of every waiting task, and wakes them all at a
//! refill.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use tokio::time::{Duration, Instant, Sleep, sleep};

/// A rate limiter, shared by reference (or in an `Arc`).
pub struct Limiter {
    state: Mutex<State>,
    burst: usize,
    period: Duration,
    /// Wake every waiting task at a refill, not only the one the `Sleep` wakes.
    wake_every_waiter: bool,
}

struct State {
    tokens: usize,
    refill: Pin<Box<Sleep>>,
    waiting: Vec<Waker>,
}

impl Limiter {
    /// A limiter of `burst` acquisitions per `period`, full at first.
    pub fn new(burst: usize, period: Duration) -> Self {
        Limiter::build(burst, period, true)
    }

    /// The same limiter with the bug planted (see the module's docs): for the tests that
    /// show racewright finding it.
    pub fn with_one_waker(burst: usize, period: Duration) -> Self {
        Limiter::build(burst, period, false)
    }

    fn build(burst: usize, period: Duration, wake_every_waiter: bool) -> Self {
        let state = State { tokens: burst, refill: Box::pin(sleep(period)), waiting: Vec::new() };
        Limiter { state: Mutex::new(state), burst, period, wake_every_waiter }
    }

    /// Waits for a token, and takes it.
    pub async fn acquire(&self) {
        poll_fn(|cx| self.poll_acquire(cx)).await
    }

    fn poll_acquire(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.tokens == 0 {
            // The refill's timer, polled in the critical section.
            if state.refill.as_mut().poll(cx).is_pending() {
                if self.wake_every_waiter && !state.waiting.iter().any(|waker| waker.will_wake(cx.waker())) {
                    state.waiting.push(cx.waker().clone());
                }
                return Poll::Pending;
            }
            state.tokens = self.burst;
            let next = Instant::now() + self.period;
            state.refill.as_mut().reset(next);
            for waker in state.waiting.drain(..) {
                waker.wake();
            }
        }
        state.tokens -= 1;
        Poll::Ready(())
    }
}

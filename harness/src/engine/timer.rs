//! The timer each engine provides to `time`: the execution's virtual clock
//! (`time::timers`, moved by the idle task), or tokio's timer outside a run.
//!
//! Times are `Duration`s since the clock's origin: the start of the execution inside a
//! run; outside, a process-wide origin on tokio's clock, taken when first needed.

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::{Engine, current};
use crate::model::timers::TimerId;
use crate::runtime::execution;

/// A deadline at or past this never comes.
pub(crate) const NEVER: Duration = crate::model::timers::NEVER;

/// The deadline `delay` after `base`, or [`NEVER`] when that is past what the clock counts.
pub(crate) fn after(base: Duration, delay: Duration) -> Duration {
    base.checked_add(delay).unwrap_or(NEVER)
}

/// The time on the current engine's clock.
pub(crate) fn now() -> Duration {
    match current() {
        Engine::Shuttle | Engine::Loom => execution::with(|state| state.timers.now()).unwrap_or_default(),
        Engine::Tokio => tokio::time::Instant::now().saturating_duration_since(origin()),
    }
}

fn origin() -> tokio::time::Instant {
    static ORIGIN: OnceLock<tokio::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(tokio::time::Instant::now)
}

/// `deadline` on tokio's clock; one that overflows is 30 years away, as tokio's `far_future`.
fn tokio_instant(deadline: Duration) -> tokio::time::Instant {
    origin()
        .checked_add(deadline)
        .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400 * 365 * 30))
}

/// A one-shot timer of the current engine. Dropping it deregisters it.
pub(crate) enum Timer {
    Virtual(VirtualTimer),
    Tokio(Pin<Box<tokio::time::Sleep>>),
}

/// A timer on the execution's virtual clock.
pub(crate) struct VirtualTimer {
    deadline: Duration,
    /// Registered with the execution's timers: set on the first pending poll.
    id: Option<TimerId>,
    /// The waker of the last poll, to register again after a `reset`.
    waker: Option<Waker>,
}

impl Timer {
    /// A timer for `deadline` (a time of [`now`]'s clock; [`NEVER`] never fires).
    /// It registers on its first poll, as tokio's.
    pub(crate) fn new(deadline: Duration) -> Timer {
        match current() {
            Engine::Shuttle | Engine::Loom => Timer::Virtual(VirtualTimer { deadline, id: None, waker: None }),
            Engine::Tokio => Timer::Tokio(Box::pin(tokio::time::sleep_until(tokio_instant(deadline)))),
        }
    }

    pub(crate) fn deadline(&self) -> Duration {
        match self {
            Timer::Virtual(timer) => timer.deadline,
            Timer::Tokio(sleep) => sleep.deadline().saturating_duration_since(origin()),
        }
    }

    pub(crate) fn is_elapsed(&self) -> bool {
        match self {
            Timer::Virtual(timer) => now() >= timer.deadline,
            Timer::Tokio(sleep) => sleep.is_elapsed(),
        }
    }

    /// `Ready` once the clock has reached the deadline.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            Timer::Virtual(timer) => timer.poll(cx),
            Timer::Tokio(sleep) => sleep.as_mut().poll(cx),
        }
    }

    /// Moves the deadline. With `reregister`, a timer that was waiting wakes its last
    /// waker at the new deadline without being polled again (tokio's `Sleep::reset`);
    /// without, it registers at its next poll.
    pub(crate) fn reset(&mut self, deadline: Duration, reregister: bool) {
        match self {
            Timer::Virtual(timer) => timer.reset(deadline, reregister),
            Timer::Tokio(sleep) => sleep.as_mut().reset(tokio_instant(deadline)),
        }
    }
}

impl VirtualTimer {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        let mut id = self.id;
        let poll = execution::with(|state| {
            // A timer fires by moving the clock to its deadline: the clock says it all.
            if state.timers.now() >= deadline {
                if let Some(id) = id.take() {
                    state.timers.cancel(id, deadline);
                }
                return Poll::Ready(());
            }
            match id {
                Some(id) => state.timers.update(id, deadline, cx.waker()),
                None => id = Some(state.timers.set(deadline, cx.waker(), state.current_task())),
            }
            Poll::Pending
        });
        self.id = id;
        // Polled after its execution ended (the engine tearing tasks down): never fires.
        let poll = poll.unwrap_or(Poll::Pending);
        if poll.is_pending() && !self.waker.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
            self.waker = Some(cx.waker().clone());
        }
        poll
    }

    fn reset(&mut self, deadline: Duration, reregister: bool) {
        let registered = self.id.is_some();
        self.deregister();
        self.deadline = deadline;
        let Some(waker) = self.waker.clone().filter(|_| reregister && registered) else { return };
        let due = execution::with(|state| {
            if state.timers.now() >= deadline {
                return true;
            }
            self.id = Some(state.timers.set(deadline, &waker, state.current_task()));
            false
        });
        if due == Some(true) {
            waker.wake();
        }
    }

    fn deregister(&mut self) {
        if let Some(id) = self.id.take() {
            execution::with(|state| state.timers.cancel(id, self.deadline));
        }
    }
}

impl Drop for VirtualTimer {
    fn drop(&mut self) {
        self.deregister();
    }
}

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
use crate::run::execution;

/// A deadline at or past this never comes.
pub(crate) const NEVER: Duration = crate::model::timers::NEVER;

/// The deadline `delay` after `base`, or [`NEVER`] when that is past what the clock counts.
pub(crate) fn after(base: Duration, delay: Duration) -> Duration {
    base.checked_add(delay).unwrap_or(NEVER)
}

/// How far before the clock's origin its instants may go: an `Instant` is kept as the time
/// since this much before the origin, so that `Instant::now() - d` works at the start of an
/// execution, as it does on a machine that has been up for a while.
pub(crate) const EPOCH_BEFORE_ORIGIN: Duration = Duration::from_secs(86_400);

/// tokio's far future: where a deadline that overflows the clock is put.
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The time on the current engine's clock.
pub(crate) fn now() -> Duration {
    match current() {
        Engine::Shuttle | Engine::Loom => execution::with(|state| state.timers.now()).unwrap_or_default(),
        Engine::Tokio => tokio::time::Instant::now().saturating_duration_since(origin()),
    }
}

/// The origin of tokio's clock outside a run: a day before the process first reads it.
/// Earlier than that first reading because a paused runtime's clock stands where it was
/// when the runtime started, and another thread may start one before racewright first
/// reads any clock: measured from the first reading, its start would read as the origin,
/// and its intervals would come short by however long it was before (a deadline computed
/// from it, early).
fn origin() -> tokio::time::Instant {
    static ORIGIN: OnceLock<tokio::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(|| {
        let first = tokio::time::Instant::now();
        // Where std's clock starts at boot (macOS), a machine up less than a day gets less.
        [Duration::from_secs(86_400), Duration::from_secs(3600), Duration::from_secs(60)]
            .into_iter()
            .find_map(|margin| first.checked_sub(margin))
            .unwrap_or(first)
    })
}

/// `deadline` on tokio's clock; one that overflows is 30 years away, as tokio's `far_future`.
fn tokio_instant(deadline: Duration) -> tokio::time::Instant {
    origin().checked_add(deadline).unwrap_or_else(|| tokio::time::Instant::now() + FAR_FUTURE)
}

/// The instant of std's clock that an instant of the current clock (`since_epoch`, see
/// [`EPOCH_BEFORE_ORIGIN`]) is. Outside a run, tokio's clock is std's (paused or not). Inside
/// one the clock is virtual: the instant is put as far from std's now as it is from the
/// virtual now, which holds as long as the two are not compared across real time.
pub(crate) fn to_std_instant(since_epoch: Duration) -> std::time::Instant {
    match current() {
        Engine::Tokio => {
            let origin = origin().into_std();
            match since_epoch.checked_sub(EPOCH_BEFORE_ORIGIN) {
                Some(after) => origin + after,
                None => origin - (EPOCH_BEFORE_ORIGIN - since_epoch),
            }
        }
        Engine::Shuttle | Engine::Loom => {
            let (real, virtual_now) = (std::time::Instant::now(), now() + EPOCH_BEFORE_ORIGIN);
            match since_epoch.checked_sub(virtual_now) {
                Some(ahead) => real + ahead,
                None => real.checked_sub(virtual_now - since_epoch).unwrap_or(real),
            }
        }
    }
}

/// The instant of the current clock (since its epoch) that `instant` of std's clock is; the
/// inverse of [`to_std_instant`]. One more than a day before the origin is put at the epoch.
pub(crate) fn from_std_instant(instant: std::time::Instant) -> Duration {
    let (reference, since_epoch) = match current() {
        Engine::Tokio => (origin().into_std(), EPOCH_BEFORE_ORIGIN),
        Engine::Shuttle | Engine::Loom => (std::time::Instant::now(), now() + EPOCH_BEFORE_ORIGIN),
    };
    match instant.checked_duration_since(reference) {
        Some(after) => since_epoch.saturating_add(after),
        None => since_epoch.saturating_sub(reference - instant),
    }
}

/// Freezes tokio's clock outside a run (`tokio::time::pause`); a run's clock is virtual
/// and frozen already.
pub(crate) fn pause_clock() {
    if current() == Engine::Tokio {
        tokio::time::pause();
    }
}

/// Lets tokio's clock follow real time again outside a run (`tokio::time::resume`); a
/// run's clock stays virtual.
pub(crate) fn resume_clock() {
    if current() == Engine::Tokio {
        tokio::time::resume();
    }
}

/// Moves the clock forward by `by` (`tokio::time::advance`): the timers due by then fire,
/// then the caller yields so that their tasks may run. Returns the new time inside a run.
pub(crate) async fn advance_clock(by: Duration) -> Option<Duration> {
    if current() == Engine::Tokio {
        tokio::time::advance(by).await;
        return None;
    }
    let fired = execution::with(|state| {
        let (now, fired) = state.timers.advance(by);
        state.timers_fired(now, fired.iter().map(|(owner, _)| *owner));
        (now, fired)
    });
    let (now, fired) = fired?;
    for (_, waker) in fired {
        waker.wake();
    }
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        super::request_yield();
        Poll::Pending
    })
    .await;
    Some(now)
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
            Timer::Tokio(sleep) if reregister => sleep.as_mut().reset(tokio_instant(deadline)),
            // tokio's `Sleep::reset` keeps the waker registered: a new sleep has none.
            Timer::Tokio(sleep) => *sleep = Box::pin(tokio::time::sleep_until(tokio_instant(deadline))),
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

//! `interval` and `interval_at`.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use crate::engine::{self, Timer};
use crate::model::timers::display;
use crate::run::execution;

/// Ticks every `period`, the first tick at once, as `tokio::time::interval`.
///
/// Panics if `period` is zero.
///
/// ```
/// use racewright::time::{Duration, Instant, interval};
///
/// racewright::check(|| async {
///     let start = Instant::now();
///     let mut ticks = interval(Duration::from_millis(10));
///     ticks.tick().await; // at once
///     ticks.tick().await;
///     ticks.tick().await;
///     assert_eq!(start.elapsed(), Duration::from_millis(20));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`, as `tokio::time::interval_at`.
///
/// Panics if `period` is zero.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval { timer: Timer::new(start.since_origin()), period, missed_tick_behavior: MissedTickBehavior::default() }
}

/// What an [`Interval`] does when ticks were missed (its task was busy past a tick),
/// as tokio's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks complete at once, one after another; later ticks stay on
    /// the original schedule (the default).
    #[default]
    Burst,
    /// Start over: the next tick is one period after the late one.
    Delay,
    /// Skip the missed ticks: the next tick is the next one of the original schedule.
    Skip,
}

impl MissedTickBehavior {
    /// The next deadline, when the tick due at `timeout` completed late, at `now`.
    fn next_timeout(self, timeout: Duration, now: Duration, period: Duration) -> Duration {
        match self {
            MissedTickBehavior::Burst => engine::after(timeout, period),
            MissedTickBehavior::Delay => engine::after(now, period),
            MissedTickBehavior::Skip => {
                let behind = (now - timeout).as_nanos() % period.as_nanos();
                let behind = Duration::from_nanos(u64::try_from(behind).expect("a period fits in u64 nanoseconds"));
                engine::after(now, period - behind)
            }
        }
    }
}

/// A tick is late past this, as tokio's timer granularity makes it.
const LATE: Duration = Duration::from_millis(5);

/// Ticks at a fixed period: the stream of [`interval`] and [`interval_at`].
pub struct Interval {
    /// Due at the next tick.
    timer: Timer,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns when it was due.
    ///
    /// Cancel safe: dropping the future loses no tick (as tokio's, which is why it is the
    /// usual branch of a `select!` loop).
    #[track_caller]
    pub fn tick(&mut self) -> impl Future<Output = Instant> + '_ {
        let at = Location::caller();
        let mut started = false;
        std::future::poll_fn(move |cx| {
            if !started {
                std::task::ready!(engine::poll_point(cx));
                started = true;
            }
            self.poll_tick_at(cx, at)
        })
    }

    /// Polls for the next tick, for hand-written futures and streams. Unlike
    /// [`tick`](Interval::tick) it is not a scheduling point of its own.
    #[track_caller]
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        self.poll_tick_at(cx, Location::caller())
    }

    fn poll_tick_at(&mut self, cx: &mut Context<'_>, at: &'static Location<'static>) -> Poll<Instant> {
        let proceed = std::task::ready!(engine::poll_proceed(cx));
        if self.timer.poll(cx).is_pending() {
            crate::engine::wait("time::Interval::tick", at, None);
            return Poll::Pending;
        }
        let due = self.timer.deadline();
        let now = engine::now();
        let next = if now > due.saturating_add(LATE) {
            self.missed_tick_behavior.next_timeout(due, now, self.period)
        } else {
            engine::after(due, self.period)
        };
        // Registered at the next poll, so a task that stops ticking leaves no timer behind.
        self.timer.reset(next, false);
        execution::record_with("time::Interval::tick", at, || format!("due t={}", display(due)));
        proceed.made_progress();
        Poll::Ready(Instant::from_clock(due))
    }

    /// Starts over: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.timer.reset(engine::after(engine::now(), self.period), true);
    }

    /// The next tick completes at once.
    pub fn reset_immediately(&mut self) {
        self.timer.reset(engine::now(), true);
    }

    /// The next tick is `after` from now.
    pub fn reset_after(&mut self, after: Duration) {
        self.timer.reset(engine::after(engine::now(), after), true);
    }

    /// The next tick is at `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.timer.reset(deadline.since_origin(), true);
    }

    /// What the interval does about missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what the interval does about missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The time between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("next_tick", &Instant::from_clock(self.timer.deadline()))
            .field("period", &self.period)
            .field("missed_tick_behavior", &self.missed_tick_behavior)
            .finish()
    }
}

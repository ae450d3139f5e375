//! `sleep` and `sleep_until`.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use super::traced::TracedTimer;
use crate::engine;

/// Waits until `duration` has passed, as `tokio::time::sleep`.
///
/// Inside a run the clock is virtual: nothing waits in real time, the clock jumps to the
/// deadline once every task is blocked (or, with `time = "any"`, whenever the strategy
/// lets time pass). A duration past what the clock counts (`Duration::MAX`) is 30 years, as
/// tokio makes it: the sleep completes once the clock gets there. Cancel safe: dropping the
/// future forgets its timer.
///
/// ```
/// use racewright::time::{Duration, Instant, sleep};
///
/// racewright::check(|| async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(50)).await;
///     assert_eq!(start.elapsed(), Duration::from_millis(50));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let deadline = TracedTimer::deadline_after(duration);
    Sleep { timer: TracedTimer::new(deadline, Some(duration), "time::sleep", Location::caller()) }
}

/// Waits until `deadline`, as `tokio::time::sleep_until`; completes at once if it has passed.
///
/// ```
/// use racewright::time::{Duration, Instant, sleep_until};
///
/// racewright::check(|| async {
///     let deadline = Instant::now() + Duration::from_secs(2);
///     sleep_until(deadline).await;
///     assert_eq!(Instant::now(), deadline);
/// });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep { timer: TracedTimer::new(deadline.since_origin(), None, "time::sleep_until", Location::caller()) }
}

/// The future of [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    timer: TracedTimer,
}

impl Sleep {
    /// When the sleep completes.
    pub fn deadline(&self) -> Instant {
        Instant::from_clock(self.timer.timer().deadline())
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.timer.timer().is_elapsed()
    }

    /// Moves the deadline, as tokio's `Sleep::reset`: the sleep completes at `deadline`
    /// now, whether it completed before or not.
    ///
    /// ```
    /// use racewright::time::{Duration, Instant, sleep};
    ///
    /// racewright::check(|| async {
    ///     let start = Instant::now();
    ///     let mut delay = std::pin::pin!(sleep(Duration::from_secs(10)));
    ///     delay.as_mut().reset(start + Duration::from_secs(1));
    ///     delay.await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.get_mut().timer.reset(deadline.since_origin());
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let timer = &mut self.get_mut().timer;
        std::task::ready!(timer.start(cx));
        let proceed = std::task::ready!(engine::poll_proceed(cx));
        let poll = timer.poll(cx, false);
        if poll.is_ready() {
            proceed.made_progress();
        }
        poll
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep").field("deadline", &self.deadline()).finish()
    }
}

//! `Instant`: a point on the clock that `sleep` and `interval` read.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::engine;

/// A point in time, as `tokio::time::Instant`, on the clock of the code that reads it.
///
/// Inside a racewright run it is virtual: the time since the execution started, which
/// moves only when a timer fires, so no real time passes. Outside a run it is tokio's
/// clock, measured from an origin the process takes the first time it is needed.
/// Compare and subtract only instants of the same clock: an instant taken in one
/// execution means nothing in another, or outside the run.
///
/// ```
/// use racewright::time::{Duration, Instant, sleep};
///
/// racewright::check(|| async {
///     let start = Instant::now();
///     sleep(Duration::from_secs(3600)).await;
///     // An hour later, on the virtual clock; microseconds of real time.
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// The time since the clock's origin.
    since_origin: Duration,
}

impl Instant {
    /// The current time of the clock.
    pub fn now() -> Instant {
        Instant { since_origin: engine::now() }
    }

    pub(crate) fn from_clock(since_origin: Duration) -> Instant {
        Instant { since_origin }
    }

    /// The time since the clock's origin (the start of the execution, inside a run).
    pub(crate) fn since_origin(self) -> Duration {
        self.since_origin
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.since_origin.checked_sub(earlier.since_origin)
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.since_origin.saturating_sub(earlier.since_origin)
    }

    /// The time that passed since this instant.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, or `None` if it cannot be represented.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.since_origin.checked_add(duration).map(Instant::from_clock)
    }

    /// `self - duration`, or `None` if it would precede the clock's origin.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.since_origin.checked_sub(duration).map(Instant::from_clock)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, other: Duration) -> Instant {
        self.checked_add(other).expect("overflow when adding duration to instant")
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, other: Duration) {
        *self = *self + other;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, other: Duration) -> Instant {
        self.checked_sub(other).expect("overflow when subtracting duration from instant")
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, other: Duration) {
        *self = *self - other;
    }
}

impl Sub for Instant {
    type Output = Duration;

    /// Saturating, as tokio's.
    fn sub(self, other: Instant) -> Duration {
        self.saturating_duration_since(other)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant(t={:?})", self.since_origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_tokios() {
        let start = Instant::from_clock(Duration::from_secs(5));
        let later = start + Duration::from_millis(1500);
        assert_eq!(later - start, Duration::from_millis(1500));
        assert_eq!(start - later, Duration::ZERO, "subtracting a later instant saturates");
        assert_eq!(start.checked_duration_since(later), None);
        assert_eq!(later.checked_sub(Duration::from_secs(7)), None);
        assert_eq!(start.checked_add(Duration::MAX), None);
        let mut moved = start;
        moved += Duration::from_secs(1);
        moved -= Duration::from_secs(2);
        assert_eq!(moved, Instant::from_clock(Duration::from_secs(4)));
    }

    #[test]
    fn outside_a_run_it_follows_tokios_clock() {
        let before = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        assert!(before.elapsed() >= Duration::from_millis(2));
    }
}

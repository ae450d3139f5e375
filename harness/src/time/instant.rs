//! `Instant`: a point on the clock that `sleep` and `interval` read.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::engine;

/// A point in time, as `tokio::time::Instant`, on the clock of the code that reads it.
///
/// Inside a racewright run it is virtual: the time since the execution started, which
/// moves only when a timer fires, so no real time passes. Outside a run it is tokio's
/// clock, measured from an origin a day before the process first needs it. Either
/// clock reaches a day back before its origin, so `Instant::now() - d` works at the start
/// of an execution as on a machine that has been up for a while. Compare and subtract only
/// instants of the same clock: an instant taken in one execution means nothing in another,
/// or outside the run.
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
    /// The time since the clock's epoch, [`engine::EPOCH_BEFORE_ORIGIN`] before its origin.
    since_epoch: Duration,
}

impl Instant {
    /// The current time of the clock.
    pub fn now() -> Instant {
        Instant::from_clock(engine::now())
    }

    /// The instant `since_origin` after the clock's origin (the start of the execution,
    /// inside a run).
    pub(crate) fn from_clock(since_origin: Duration) -> Instant {
        Instant { since_epoch: since_origin.saturating_add(engine::EPOCH_BEFORE_ORIGIN) }
    }

    /// The time since the clock's origin; zero for an instant before it.
    pub(crate) fn since_origin(self) -> Duration {
        self.since_epoch.saturating_sub(engine::EPOCH_BEFORE_ORIGIN)
    }

    /// The instant of this clock that `std` (an instant of std's clock) is, as
    /// `tokio::time::Instant::from_std`. Inside a run std's clock is real time: the instant
    /// is as far from the virtual now as `std` is from std's now.
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant { since_epoch: engine::from_std_instant(std) }
    }

    /// The instant of std's clock that this is, as `tokio::time::Instant::into_std`; the
    /// inverse of [`from_std`](Instant::from_std).
    pub fn into_std(self) -> std::time::Instant {
        engine::to_std_instant(self.since_epoch)
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.since_epoch.checked_sub(earlier.since_epoch)
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.since_epoch.saturating_sub(earlier.since_epoch)
    }

    /// The time that passed since this instant.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, or `None` if it cannot be represented: past `i64::MAX` seconds
    /// from the epoch, where std's instants end (and tokio's, which are std's).
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        const END: Duration = Duration::from_secs(i64::MAX as u64);
        let since_epoch = self.since_epoch.checked_add(duration).filter(|since_epoch| *since_epoch <= END)?;
        Some(Instant { since_epoch })
    }

    /// `self - duration`, or `None` if it would precede the clock's epoch (a day before
    /// its origin).
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.since_epoch.checked_sub(duration).map(|since_epoch| Instant { since_epoch })
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

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant::from_std(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.into_std()
    }
}

/// `Instant(t=1.5s)`: the time since the clock's origin (`t=-1s` before it).
impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.since_epoch.checked_sub(engine::EPOCH_BEFORE_ORIGIN) {
            Some(after) => write!(f, "Instant(t={after:?})"),
            None => write!(f, "Instant(t=-{:?})", engine::EPOCH_BEFORE_ORIGIN - self.since_epoch),
        }
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
        assert_eq!(later.checked_sub(Duration::from_secs(7)).map(Instant::since_origin), Some(Duration::ZERO));
        assert_eq!(later.checked_sub(Duration::from_secs(86_400 * 2)), None, "a day before the origin at most");
        assert_eq!(start.checked_add(Duration::MAX), None);
        let mut moved = start;
        moved += Duration::from_secs(1);
        moved -= Duration::from_secs(2);
        assert_eq!(moved, Instant::from_clock(Duration::from_secs(4)));
    }

    #[test]
    fn the_start_of_an_execution_is_a_day_after_the_clocks_epoch() {
        crate::check(|| async {
            let start = Instant::now();
            let earlier = start - Duration::from_secs(3600);
            assert_eq!(start - earlier, Duration::from_secs(3600));
            assert_eq!(format!("{start:?} {earlier:?}"), "Instant(t=0ns) Instant(t=-3600s)");
        });
        let start = Instant::now();
        assert!(start.checked_sub(Duration::from_secs(3600)).is_some(), "outside a run too");
    }

    #[test]
    fn std_instants_convert_both_ways() {
        let now = std::time::Instant::now();
        let ours = Instant::from(now);
        assert_eq!(std::time::Instant::from(ours), now);
        assert_eq!(Instant::from_std(now - Duration::from_secs(5)).into_std(), now - Duration::from_secs(5));
        crate::check(|| async {
            let real = std::time::Instant::now();
            let virtual_now = Instant::now();
            let converted = Instant::from_std(real);
            // Real time passes after `real` was read, virtual time does not.
            assert!(converted <= virtual_now && virtual_now - converted < Duration::from_secs(5));
            let in_a_minute = (Instant::now() + Duration::from_secs(60)).into_std();
            assert!(in_a_minute > std::time::Instant::now() + Duration::from_secs(59));
        });
    }

    #[test]
    fn outside_a_run_it_follows_tokios_clock() {
        let before = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        assert!(before.elapsed() >= Duration::from_millis(2));
    }
}

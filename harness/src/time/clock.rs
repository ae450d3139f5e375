//! `pause`, `advance` and `resume`: driving the clock by hand, as tokio's `test-util` does.
//!
//! Inside a run the clock is virtual and frozen from the start, as a tokio runtime started
//! with `start_paused = true`: it moves when every task is blocked (to the next timer), or by
//! `advance`. So `pause` and `resume` change nothing there (they are accepted in any order,
//! where tokio panics on a second `pause`), and `advance` needs no `pause` first. Outside a
//! run they are tokio's own, on the current runtime.

use std::future::Future;
use std::panic::Location;
use std::time::Duration;

use crate::engine;
use crate::model::timers::display;
use crate::run::execution;

/// Freezes the clock, as `tokio::time::pause`: from now on it moves only by
/// [`advance`], or to the next timer when every task is idle.
///
/// # Panics
/// Outside a run, where tokio's panics: time already frozen, or no current-thread runtime.
#[track_caller]
pub fn pause() {
    let at = engine::begin();
    engine::pause_clock();
    execution::record("time::pause", at);
}

/// Lets the clock follow real time again, as `tokio::time::resume`. Inside a run the clock
/// stays virtual.
///
/// # Panics
/// Outside a run, where tokio's panics: time not frozen, or no runtime.
#[track_caller]
pub fn resume() {
    let at = engine::begin();
    engine::resume_clock();
    execution::record("time::resume", at);
}

/// Moves the clock forward by `duration` at once, as `tokio::time::advance`: every timer
/// due by then fires (their tasks run in any order, explored inside a run), and the caller
/// yields so that they may run before it goes on.
///
/// ```
/// use racewright::time::{self, Duration, Instant};
///
/// racewright::check(|| async {
///     let start = Instant::now();
///     let sleeper = racewright::spawn(time::sleep(Duration::from_secs(10)));
///     time::advance(Duration::from_secs(10)).await;
///     sleeper.await.unwrap();
///     assert_eq!(start.elapsed(), Duration::from_secs(10));
/// });
/// ```
#[track_caller]
pub fn advance(duration: Duration) -> impl Future<Output = ()> {
    let at = Location::caller();
    async move {
        engine::point().await;
        if let Some(now) = engine::advance_clock(duration).await {
            execution::record_with("time::advance", at, || format!("{}, to t={}", display(duration), display(now)));
        }
    }
}

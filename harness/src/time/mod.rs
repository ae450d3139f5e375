//! Virtual time: `sleep`, `sleep_until`, `timeout`, `interval`, `Instant`, and
//! `pause`/`advance`/`resume`, with tokio's signatures, on a clock per execution (tokio's
//! clock outside a run).
//!
//! Each execution's clock starts at zero and moves only when a timer fires: with the
//! default `time = "idle"`, when every task is blocked (the clock jumps to the next
//! deadline); with `time = "any"`, also whenever the strategy chooses to let time pass,
//! which explores the races between timeouts and the work they bound. Timers fire in
//! deadline order. No real time passes: a test that sleeps an hour takes microseconds.
//!
//! ```
//! use racewright::time::{Duration, Instant, sleep, timeout};
//!
//! racewright::check(|| async {
//!     let start = Instant::now();
//!     let worker = racewright::spawn(async {
//!         sleep(Duration::from_secs(3600)).await;
//!         "done"
//!     });
//!     let result = timeout(Duration::from_secs(7200), worker).await;
//!     assert_eq!(result.unwrap().unwrap(), "done");
//!     assert_eq!(start.elapsed(), Duration::from_secs(3600));
//! });
//! ```

mod clock;
pub mod error;
mod instant;
mod interval;
mod sleep;
mod timeout;
mod traced;

#[cfg(test)]
mod tests;

pub use clock::{advance, pause, resume};
pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::Duration;
pub use timeout::{Timeout, timeout, timeout_at};

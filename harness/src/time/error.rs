//! The time errors, as `tokio::time::error`.

use std::fmt;

/// A [`timeout`](super::timeout) elapsed before its future completed.
///
/// ```
/// use racewright::time::{Duration, error::Elapsed, sleep, timeout};
///
/// racewright::check(|| async {
///     let slow = sleep(Duration::from_secs(5));
///     let result: Result<(), Elapsed> = timeout(Duration::from_secs(1), slow).await;
///     assert!(result.is_err());
/// });
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Elapsed(pub(super) ());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(elapsed: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, elapsed)
    }
}

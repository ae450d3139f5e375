//! What the benchmarks share: rates, timed loops of whole explorations, knobs from the
//! environment.

use std::time::{Duration, Instant};

/// Executions per second since `started`.
pub fn rate(executions: usize, started: Instant) -> f64 {
    executions as f64 / started.elapsed().as_secs_f64()
}

/// Runs whole explorations for at least `time` (and at least one); returns executions per
/// second and executions per exploration. `explore` returns the executions it ran.
pub fn explorations_per_second(time: Duration, mut explore: impl FnMut() -> usize) -> (f64, usize) {
    let started = Instant::now();
    let (mut executions, mut explorations) = (0, 0);
    while explorations == 0 || started.elapsed() < time {
        executions += explore();
        explorations += 1;
    }
    (rate(executions, started), executions / explorations)
}

/// A number from the environment variable `name`, or `default` when it is not set.
///
/// # Panics
/// If the variable is set but is not a number: a benchmark never ignores a knob.
pub fn knob(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value.parse().unwrap_or_else(|_| panic!("{name}={value} is not a number")),
        Err(_) => default,
    }
}

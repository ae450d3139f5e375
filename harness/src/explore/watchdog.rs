//! The last line of defence against a test that never ends.
//!
//! Step limits and budgets end explorations that keep scheduling; an execution stuck
//! outside racewright's control (a task spinning without a single facade call, a
//! std lock or real I/O that never returns) never comes back to the scheduler. A
//! watchdog thread then ends the process with a message that says which test and why,
//! so CI gets a verdict instead of a hang.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long an exploration may run when no budget is set.
pub(crate) const DEFAULT_LIMIT: Duration = Duration::from_secs(600);

/// Ends the process if dropped later than `limit` after it was armed.
pub(crate) struct Watchdog {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::Thread>,
}

impl Watchdog {
    pub(crate) fn arm(test: &str, limit: Duration) -> Watchdog {
        let done = Arc::new(AtomicBool::new(false));
        let watched = done.clone();
        let name = test.to_string();
        let spawned = std::thread::Builder::new().name("racewright-watchdog".into()).spawn(move || {
            let test = name;
            let started = std::time::Instant::now();
            while started.elapsed() < limit {
                std::thread::park_timeout(limit.saturating_sub(started.elapsed()));
                if watched.load(Ordering::Acquire) {
                    return;
                }
            }
            eprintln!(
                "racewright: `{test}` ran for more than {}s and an execution never came back to the scheduler: \
                 a task spins without calling racewright, or blocks on something racewright does not control \
                 (a std lock, real I/O, a thread of its own). Ending the process so that CI does not hang.",
                limit.as_secs()
            );
            std::process::exit(101);
        });
        let thread = match spawned {
            Ok(handle) => Some(handle.thread().clone()),
            Err(_) => {
                eprintln!("racewright: no watchdog for `{test}`: could not start its thread");
                None
            }
        };
        Watchdog { done, thread }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Release);
        if let Some(thread) = &self.thread {
            thread.unpark();
        }
    }
}

//! The last line of defence against a test that never ends.
//!
//! Step limits and budgets end explorations that keep scheduling; an execution stuck
//! outside racewright's control (a task spinning without a single facade call, a
//! std lock or real I/O that never returns) never comes back to the scheduler. Every
//! scheduling point beats a heartbeat; a watchdog thread that sees no beat for a long
//! while ends the process with a message that says which test and why, so CI gets a
//! verdict instead of a hang. A long exploration that keeps scheduling is never stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::run::heartbeat;

/// How long an exploration may go without a scheduling point when no budget is set.
pub(crate) const DEFAULT_STALL: Duration = Duration::from_secs(120);

/// Arms the watchdog of an exploration of `test` on this thread, whose config set `budget`:
/// no scheduling point for the budget and 5 s more, or for 2 minutes without a budget,
/// means stuck.
pub(crate) fn arm(test: &str, budget: Option<Duration>) -> Watchdog {
    Watchdog::arm(test, budget.map_or(DEFAULT_STALL, |budget| budget + Duration::from_secs(5)))
}

/// Ends the process if the exploration of this thread makes no progress for `stall`.
pub(crate) struct Watchdog {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::Thread>,
}

impl Watchdog {
    pub(crate) fn arm(test: &str, stall: Duration) -> Watchdog {
        let done = Arc::new(AtomicBool::new(false));
        let heartbeat = Arc::new(AtomicU64::new(0));
        heartbeat::adopt(Some(heartbeat.clone()));
        let watched = done.clone();
        let name = test.to_string();
        let spawned = std::thread::Builder::new().name("racewright-watchdog".into()).spawn(move || {
            let test = name;
            let mut last = heartbeat.load(Ordering::Relaxed);
            loop {
                std::thread::park_timeout(stall);
                if watched.load(Ordering::Acquire) {
                    return;
                }
                let now = heartbeat.load(Ordering::Relaxed);
                if now != last {
                    last = now;
                    continue;
                }
                eprintln!(
                    "racewright: `{test}` reached no scheduling point for {}s: a task spins without calling \
                     racewright, or blocks on something racewright does not control (a std lock, real I/O, a \
                     thread of its own), so the execution never came back to the scheduler. Ending the process \
                     so that CI does not hang.",
                    stall.as_secs()
                );
                std::process::exit(101);
            }
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
        heartbeat::adopt(None);
        self.done.store(true, Ordering::Release);
        if let Some(thread) = &self.thread {
            thread.unpark();
        }
    }
}

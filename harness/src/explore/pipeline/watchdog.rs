//! The last line of defence against an execution that never comes back.
//!
//! Step limits and budgets end explorations that keep scheduling; an execution stuck
//! outside racewright's control (a task spinning without a single racewright call, a
//! std lock or real I/O that never returns) never comes back to the scheduler, and no
//! thread can unwind another. So an exploration runs on a thread of its own, and the
//! test's thread watches its heartbeat (`runtime/heartbeat.rs`): when no scheduling
//! point has passed for the stall limit, the test's thread gives the exploration up and
//! returns a `step_limit` report that says which task is stuck after which racewright
//! call. The test fails with it, and the stuck thread is left behind: the other tests of
//! the binary still run and report. A long exploration that keeps scheduling is never
//! stopped.
//!
//! The cost is one thread per exploration (tens of microseconds), and a wake-up of the
//! test's thread every `PERIOD` at most, which also looks for threads the test started
//! itself (`threads.rs`).

use std::io::Write as _;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::threads::{self, Marked};
use crate::detect;
use crate::report::Report;
use crate::runtime::heartbeat::{self, Heartbeat};

/// How often the test's thread looks at the exploration, at most.
const PERIOD: Duration = Duration::from_millis(100);

/// What the exploration's thread tells the test's thread.
enum Message {
    /// The OS name it took, to tell the threads the test starts.
    Started(Option<Marked>),
    /// The exploration ended: its report, or the panic that ended it.
    Done(std::thread::Result<Box<Report>>),
}

/// Runs `explore` (the exploration of `blank`'s test) on a thread of its own, and gives
/// it up when it passes no scheduling point for `stall`: then the report is `blank`'s,
/// with a `step_limit` finding that says where the exploration is stuck. A panic of
/// `explore` is the caller's.
pub(crate) fn watched(blank: Report, stall: Duration, explore: impl FnOnce() -> Report + Send + 'static) -> Report {
    let heartbeat = Arc::new(Heartbeat::default());
    let (sender, messages) = mpsc::channel();
    let explorer = {
        let heartbeat = heartbeat.clone();
        let mut thread = std::thread::Builder::new();
        // Panics of the exploration name the test, as they would on the test's thread.
        if let Some(name) = std::thread::current().name() {
            thread = thread.name(name.to_string());
        }
        thread.spawn(move || {
            let _ = sender.send(Message::Started(Marked::this_thread()));
            heartbeat::adopt(Some(heartbeat));
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Box::new(explore())));
            heartbeat::adopt(None);
            let _ = sender.send(Message::Done(result));
        })
    };
    let explorer = match explorer {
        Ok(explorer) => explorer,
        Err(error) => panic!("racewright: could not start the thread of `{}`'s exploration: {error}", blank.test()),
    };
    let period = (stall / 10).min(PERIOD);
    let mut marked = None;
    let mut threads_seen = false;
    let mut beats = heartbeat.beats();
    let mut quiet_since = Instant::now();
    loop {
        match messages.recv_timeout(period) {
            Ok(Message::Started(mark)) => marked = mark,
            Ok(Message::Done(result)) => {
                threads_seen |= marked.as_ref().is_some_and(Marked::has_offspring);
                let _ = explorer.join();
                let report = *result.unwrap_or_else(|payload| std::panic::resume_unwind(payload));
                return if threads_seen { report.with_note(threads::NOTE) } else { report };
            }
            Err(RecvTimeoutError::Timeout) => {
                threads_seen |= marked.as_ref().is_some_and(Marked::has_offspring);
                let now = heartbeat.beats();
                if now != beats {
                    beats = now;
                    quiet_since = Instant::now();
                } else if quiet_since.elapsed() >= stall {
                    return give_up(blank, stall, &heartbeat);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("racewright bug: the thread of `{}`'s exploration ended without a word", blank.test())
            }
        }
    }
}

/// The report of an exploration stuck for `stall`, written down and announced at once on
/// the terminal: the test's own output may be captured, and the stuck thread may yet take
/// the process down.
fn give_up(blank: Report, stall: Duration, heartbeat: &Heartbeat) -> Report {
    let threads = heartbeat.threads();
    let stuck = threads.iter().find(|whereabouts| whereabouts.in_execution);
    let execution = stuck.or(threads.first()).map_or(0, |whereabouts| whereabouts.executions);
    let report = blank.abandoned(execution, detect::step_limit::stalled(stall, stuck));
    let written = report.persist().map(|path| format!("\n  (report written to {})", path.display()));
    let finding = report.failure().expect("the stall's finding");
    let mut announcement = format!("\nracewright: `{}` is stuck: {}", report.test(), finding.message());
    for detail in finding.details() {
        announcement.push_str(&format!("\n  - {detail}"));
    }
    announcement.push_str(&written.unwrap_or_default());
    // Straight to the process's stderr: libtest captures `eprintln!`, not this.
    let _ = writeln!(std::io::stderr().lock(), "{announcement}\n");
    report
}

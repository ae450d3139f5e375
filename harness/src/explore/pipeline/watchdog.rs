//! The last line of defence against an execution that never comes back.
//!
//! Step limits and budgets end explorations that keep scheduling; an execution stuck
//! outside racewright's control (a task spinning without a single racewright call, a
//! std lock or real I/O that never returns) never comes back to the scheduler, and no
//! thread can unwind another. So an exploration runs on a thread of its own, and the
//! test's thread watches its heartbeat (`run/heartbeat.rs`): when no scheduling
//! point has passed for the stall limit, the test's thread gives the exploration up and
//! returns a `step_limit` report that says which task is stuck after which racewright
//! call. The test fails with it, and the stuck thread is left behind: the other tests of
//! the binary still run and report. A long exploration that keeps scheduling is never
//! stopped.
//!
//! The exploration's thread is kept from one exploration to the next of the same test's
//! thread, so that what the engines keep per thread (shuttle's pool of task stacks) is
//! made once per test, as before; the test's thread wakes every `PERIOD` at most, and
//! then also looks for threads the test started itself (`threads.rs`).

use std::cell::RefCell;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::threads::{self, Marked};
use crate::detect;
use crate::report::Report;
use crate::run::heartbeat::{self, Heartbeat, Whereabouts};

/// How often the test's thread looks at the exploration, at most.
const PERIOD: Duration = Duration::from_millis(100);

/// An exploration handed to the explorer.
type Job = Box<dyn FnOnce() + Send>;

/// The thread that runs the explorations of one test's thread, one at a time.
struct Explorer {
    jobs: mpsc::Sender<Job>,
    /// Its OS name, which the threads the test starts inherit (`None` without `/proc`).
    marked: Option<Marked>,
    /// No thread carried its OS name at the end of its last exploration: none can have
    /// appeared since (only it, idle between explorations, and such threads pass the name
    /// on), so the next exploration need not look for them before it starts.
    no_offspring: bool,
}

thread_local! {
    /// The explorer of this (test's) thread, while it is not busy.
    static EXPLORER: RefCell<Option<Explorer>> = const { RefCell::new(None) };
}

impl Explorer {
    /// This thread's explorer: the one kept, or a new one.
    fn take() -> Explorer {
        EXPLORER.with(|explorer| explorer.borrow_mut().take()).unwrap_or_else(Explorer::start)
    }

    fn start() -> Explorer {
        let (jobs, incoming) = mpsc::channel::<Job>();
        let (marked_sender, marked) = mpsc::channel();
        let mut thread = std::thread::Builder::new();
        // Panics of an exploration name the test, as they would on the test's thread.
        if let Some(name) = std::thread::current().name() {
            thread = thread.name(name.to_string());
        }
        let started = thread.spawn(move || {
            let _ = marked_sender.send(Marked::this_thread());
            // It ends when the test's thread drops it, or gives it up.
            for job in incoming {
                job();
            }
        });
        if let Err(error) = started {
            panic!("racewright: could not start the thread that explores: {error}");
        }
        Explorer { jobs, marked: marked.recv().ok().flatten(), no_offspring: true }
    }

    /// Keeps this explorer for the next exploration of this thread.
    fn keep(self) {
        EXPLORER.with(|explorer| *explorer.borrow_mut() = Some(self));
    }
}

/// How a watched exploration ended.
pub(crate) enum Watched {
    /// With its report: its own, or the stall's.
    Done(Box<Report>),
    /// An execution blocked in the kernel, where nothing of racewright's ever waits: most
    /// likely on a lock racewright cannot see, held by a task switched away from inside a
    /// synchronous call. Where it was.
    Blocked(Whereabouts),
}

/// How long an execution may sleep in the kernel, without a scheduling point, before the
/// watchdog takes it as blocked there for good (when the caller asks, see [`watched`]).
const BLOCKED: Duration = Duration::from_millis(200);

/// Runs `explore` (the exploration of `blank`'s test) on the explorer, and gives it up
/// when it passes no scheduling point for `stall`: then the report is `blank`'s, with a
/// `step_limit` finding that says where the exploration is stuck. With `blocked`, gives it
/// up sooner, as [`Watched::Blocked`], when an execution sleeps in the kernel with no
/// scheduling point for [`BLOCKED`]. A panic of `explore` is the caller's.
pub(crate) fn watched(
    blank: Report,
    stall: Duration,
    blocked: bool,
    explore: impl FnOnce() -> Report + Send + 'static,
) -> Watched {
    let heartbeat = Arc::new(Heartbeat::default());
    let (sender, done) = mpsc::channel();
    let job: Job = {
        let heartbeat = heartbeat.clone();
        Box::new(move || {
            heartbeat::adopt(Some(heartbeat));
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Box::new(explore())));
            heartbeat::adopt(None);
            let _ = sender.send(result);
        })
    };
    let mut explorer = Explorer::take();
    // Threads an earlier exploration left running are not this one's.
    let earlier = match &explorer.marked {
        Some(marked) if !explorer.no_offspring => marked.offspring(),
        _ => Vec::new(),
    };
    if let Err(mpsc::SendError(job)) = explorer.jobs.send(job) {
        // The kept explorer has ended (it never should): a new one takes the job.
        explorer = Explorer::start();
        explorer.jobs.send(job).expect("a new explorer takes jobs");
    }
    let period = (stall / 10).min(PERIOD);
    let mut seen = false;
    let mut beats = heartbeat.beats();
    let mut quiet_since = Instant::now();
    let mut asleep_since: Option<Instant> = None;
    loop {
        match done.recv_timeout(period) {
            Ok(result) => {
                let offspring = explorer.marked.as_ref().map(Marked::offspring).unwrap_or_default();
                seen |= offspring.iter().any(|thread| !earlier.contains(thread));
                let report = *result.unwrap_or_else(|payload| std::panic::resume_unwind(payload));
                explorer.no_offspring = offspring.is_empty();
                explorer.keep();
                return Watched::Done(Box::new(if seen { report.with_note(threads::NOTE) } else { report }));
            }
            Err(RecvTimeoutError::Timeout) => {
                seen |= explorer.marked.as_ref().is_some_and(|marked| marked.has_offspring_besides(&earlier));
                let now = heartbeat.beats();
                if now != beats {
                    beats = now;
                    quiet_since = Instant::now();
                    asleep_since = None;
                } else if quiet_since.elapsed() >= stall {
                    // The explorer is dropped: the stuck thread is left behind, alone.
                    return Watched::Done(Box::new(give_up(blank, stall, &heartbeat)));
                } else if blocked {
                    let threads = heartbeat.threads();
                    let asleep = threads.iter().find(|thread| thread.in_execution && thread.blocked_in_kernel());
                    match (asleep, asleep_since) {
                        (Some(thread), Some(since)) if since.elapsed() >= BLOCKED => {
                            heartbeat.abandon();
                            return Watched::Blocked(thread.clone());
                        }
                        (Some(_), None) => asleep_since = Some(Instant::now()),
                        (Some(_), Some(_)) => {}
                        (None, _) => asleep_since = None,
                    }
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
    heartbeat.abandon();
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

//! A replay stopped at a step (`RACEWRIGHT_STOP_AT`): the scheduler that stops it once the
//! step is over, and the function a debugger breaks in there.

use std::cell::RefCell;
use std::rc::Rc;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use super::replay::Replay;
use crate::report::Report;
use crate::run::execution::{self, ExecutionState};

/// Makes the report of an execution as it stands.
pub(super) type Describe = Rc<dyn Fn(&ExecutionState) -> Report>;

/// What racewright calls where a replay stops (`RACEWRIGHT_STOP_AT`, `Scenario::stop_at`),
/// with `step` and the report of the execution up to there (the state at that step
/// included; the text ends with a NUL byte, so that gdb's `printf "%s\n", report.data_ptr`
/// prints it whole): a place for a debugger's breakpoint. Its symbol is
/// `racewright_breakpoint` whatever the path it is reached by: `break
/// racewright_breakpoint` in gdb, `b racewright_breakpoint` in lldb, a function breakpoint
/// of that name in an IDE.
///
/// When the replay stops at the end of a facade operation, the execution is paused in the
/// task that ran the step, inside its scheduling point: the debugger's backtrace goes
/// through racewright's and shuttle's frames into that task's own code (its `async fn`s,
/// their locals), at the operation it was about to do. It does nothing itself.
#[unsafe(export_name = "racewright_breakpoint")]
#[inline(never)]
pub fn breakpoint(step: usize, report: &str) {
    std::hint::black_box((step, report));
}

/// Calls [`breakpoint`] with `report`, the report of the execution stopped after `step`.
pub(super) fn pause(step: usize, report: &Report) {
    breakpoint(step, &format!("{report}\0"));
}

/// Follows a replay until the scheduler is asked for its first choice after `step`: then
/// everything of that step has happened. There it takes the report of the execution,
/// calls [`breakpoint`] (through [`pause`]), and ends the execution.
pub(super) struct StopAt {
    replay: Replay,
    step: usize,
    describe: Describe,
    /// The report, once stopped.
    stopped: Rc<RefCell<Option<Report>>>,
}

impl StopAt {
    pub(super) fn new(replay: Replay, step: usize, describe: Describe, stopped: Rc<RefCell<Option<Report>>>) -> Self {
        StopAt { replay, step, describe, stopped }
    }
}

impl Scheduler for StopAt {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.replay.new_execution()
    }

    fn next_task(&mut self, runnable: &[&Task], current: Option<TaskId>, is_yielding: bool) -> Option<TaskId> {
        // The supervisor counted this choice's step before asking.
        let stopped = execution::with(|state| {
            if state.scheduler.steps <= self.step {
                return None;
            }
            state.stopping = true;
            Some((self.describe)(state).stopped(self.step, false))
        })
        .flatten();
        let Some(report) = stopped else { return self.replay.next_task(runnable, current, is_yielding) };
        pause(self.step, &report);
        *self.stopped.borrow_mut() = Some(report);
        None
    }

    fn next_u64(&mut self) -> u64 {
        self.replay.next_u64()
    }
}

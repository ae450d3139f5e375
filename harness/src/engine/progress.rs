//! How far an exploration may go, what it has seen across its executions, and what it
//! hands back to the pipeline at the end; the same for every engine.

use std::sync::Arc;
use std::time::Instant;

use crate::run::execution::ExecutionState;
use crate::run::settings::Settings;

/// How far an exploration may go, on any engine.
pub(crate) struct Plan {
    pub(crate) settings: Arc<Settings>,
    /// Executions to run at most (on loom: its permutation limit, counted at each one).
    pub(crate) iterations: usize,
    /// No execution starts after this instant.
    pub(crate) deadline: Option<Instant>,
}

/// What an exploration found.
#[derive(Default)]
pub(crate) struct Explored {
    /// Executions run, the failing one included.
    pub(crate) executions: usize,
    /// The first failing execution: its number (from 1) and its state.
    pub(crate) failed: Option<(usize, ExecutionState)>,
    /// The wall-clock budget ended the exploration early.
    pub(crate) out_of_time: bool,
    /// How many different schedules the executions took.
    pub(crate) distinct_schedules: usize,
    /// A failure of racewright itself (never the user's).
    pub(crate) harness_error: Option<String>,
    /// Every interleaving within the bounds was explored (loom's exhaustive search ended).
    pub(crate) exhaustive: bool,
    /// Why the exploration stopped before it could say "no bug within the bounds": a limit
    /// of the engine or of the config. Never a pass on an engine that promises exhaustiveness.
    pub(crate) limit: Option<String>,
    /// The most tasks (besides the body) that one execution spawned.
    pub(crate) max_tasks: usize,
}

/// What an exploration has seen so far, across executions; the same for every engine.
#[derive(Default)]
pub(crate) struct Progress {
    /// Executions started.
    pub(crate) executions: usize,
    /// The first failing execution: its number (from 1) and its state.
    pub(crate) failed: Option<(usize, ExecutionState)>,
    pub(crate) out_of_time: bool,
    /// Hashes of the schedules run, to count the distinct ones.
    schedules: std::collections::HashSet<u64>,
    /// The most tasks (besides the body) one execution spawned: does the scenario fit loom?
    max_tasks: usize,
}

impl Progress {
    /// Takes in a finished execution; returns whether it failed (the first failure is kept).
    pub(crate) fn judge(&mut self, state: ExecutionState) -> bool {
        self.schedules.insert(schedule_hash(&state.scheduler.choices));
        self.max_tasks = self.max_tasks.max(state.tasks.iter().count() - 1);
        let failed = !state.findings.is_empty();
        if failed && self.failed.is_none() {
            self.failed = Some((self.executions, state));
        }
        failed
    }

    /// What the exploration found, in all.
    pub(crate) fn into_explored(self, harness_error: Option<String>) -> Explored {
        Explored {
            executions: self.executions,
            failed: self.failed,
            out_of_time: self.out_of_time,
            distinct_schedules: self.schedules.len(),
            harness_error,
            max_tasks: self.max_tasks,
            ..Explored::default()
        }
    }
}

/// FNV-1a over the choices: cheap, and only compared within one exploration.
fn schedule_hash(schedule: &[usize]) -> u64 {
    schedule.iter().fold(0xcbf2_9ce4_8422_2325, |hash, choice| (hash ^ *choice as u64).wrapping_mul(0x0100_0000_01b3))
}

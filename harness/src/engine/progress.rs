//! How far an exploration may go, what it has seen across its executions, and what it
//! hands back to the pipeline at the end; the same for every engine.

use std::sync::Arc;
use std::time::Instant;

use crate::model::metrics::{Metrics, QueueNames};
use crate::model::tasks::TaskId;
use crate::run::execution::ExecutionState;
use crate::run::settings::Settings;

/// How far an exploration may go, on any engine.
#[derive(Clone)]
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
    /// What the executions could not vouch for (a tokio runtime of the test's own), once
    /// each, in the order first seen.
    pub(crate) notes: Vec<String>,
    /// Whether any execution ran a task between two steps of another.
    pub(crate) interleaving: Interleaving,
    /// The metrics of every execution, folded into one.
    pub(crate) metrics: Metrics,
}

/// Whether the executions of an exploration ran a task's steps apart, another task's in
/// between: where they never did, nothing was interleaved, whatever the number of
/// executions or schedules (loom reorders whole tasks that touch no common loom object).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Interleaving {
    /// No spawned task made two steps: there was nothing to interleave.
    #[default]
    Nothing,
    /// Some spawned task made several steps, and no execution ran another task in between.
    Never,
    /// Some execution ran a task between two steps of a spawned task.
    Seen,
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
    schedules: std::collections::HashSet<u64, std::hash::BuildHasherDefault<Prehashed>>,
    /// The most tasks (besides the body) one execution spawned: does the scenario fit loom?
    max_tasks: usize,
    notes: Vec<String>,
    interleaving: Interleaving,
    metrics: Metrics,
    /// The names of the queues `metrics` has seen.
    queue_names: QueueNames,
}

impl Progress {
    /// Takes in a finished execution; returns whether it failed (the first failure is kept).
    /// The state is judged where it is: only a failing one is moved out (into `failed`).
    pub(crate) fn judge(&mut self, state: &mut ExecutionState) -> bool {
        self.schedules.insert(schedule_hash(&state.scheduler.choices));
        self.max_tasks = self.max_tasks.max(state.tasks.iter().count() - 1);
        if self.interleaving != Interleaving::Seen {
            self.interleaving = self.interleaving.max(interleaving(state));
        }
        for note in &state.notes {
            if !self.notes.iter().any(|known| known == note) {
                self.notes.push(note.to_string());
            }
        }
        state.fold_metrics_into(&mut self.metrics, &mut self.queue_names);
        let failed = !state.findings.is_empty();
        if failed && self.failed.is_none() {
            self.failed = Some((self.executions, std::mem::take(state)));
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
            notes: self.notes,
            interleaving: self.interleaving,
            metrics: self.metrics,
            ..Explored::default()
        }
    }
}

/// How the tasks of one execution were interleaved: whether the marks of a spawned task
/// (the decisions that ran it, the events it recorded) came apart, with another task's
/// mark in between. The body's own marks always enclose the tasks it spawns and awaits:
/// they do not count.
fn interleaving(state: &ExecutionState) -> Interleaving {
    /// Where a task's marks fall among the execution's: first, last, how many.
    #[derive(Clone, Copy, Default)]
    struct Span {
        first: usize,
        last: usize,
        marks: usize,
    }
    let mut spans: Vec<Span> = Vec::new();
    for (position, task) in marks(state).enumerate().filter(|(_, task)| *task != TaskId::BODY) {
        if spans.len() <= task.0 {
            spans.resize(task.0 + 1, Span::default());
        }
        let span = &mut spans[task.0];
        if span.marks == 0 {
            span.first = position;
        }
        span.last = position;
        span.marks += 1;
    }
    let split =
        |span: &Span| if span.last - span.first + 1 > span.marks { Interleaving::Seen } else { Interleaving::Never };
    spans.iter().filter(|span| span.marks >= 2).map(split).max().unwrap_or(Interleaving::Nothing)
}

/// The tasks of an execution's decisions and events, in the order they happened: each
/// decision, then the events recorded before the next (the `n`-th decision is step `n`).
/// Both are needed: loom switches tasks inside an operation, after its decision, which
/// only the operation's event, recorded when it completes, shows.
fn marks(state: &ExecutionState) -> impl Iterator<Item = TaskId> + '_ {
    let mut events = state.trace.events().iter().peekable();
    let mut marks = Vec::new();
    for (index, key) in state.scheduler.choices.iter().enumerate() {
        while let Some(event) = events.next_if(|event| event.step <= index) {
            marks.push(event.task);
        }
        // Decisions that ran no task of the scenario (shuttle's idle task) are no marks.
        marks.extend(state.tasks.by_choice_key(*key));
    }
    marks.extend(events.map(|event| event.task));
    marks.into_iter()
}

/// The hasher of the set of schedule hashes: they are hashes already, so each is its own.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed here (`write_u64`); anything else is folded in all the same.
        self.0 = bytes.iter().fold(self.0, |hash, byte| fnv_step(hash, u64::from(*byte)));
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

/// FNV-1a over the choices: cheap, and only compared within one exploration.
fn schedule_hash(schedule: &[usize]) -> u64 {
    schedule.iter().fold(0xcbf2_9ce4_8422_2325, |hash, choice| fnv_step(hash, *choice as u64))
}

/// One step of FNV-1a.
fn fnv_step(hash: u64, value: u64) -> u64 {
    (hash ^ value).wrapping_mul(0x0100_0000_01b3)
}

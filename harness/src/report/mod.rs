//! The report of an exploration: one serde model, rendered as text and JSON.

pub(crate) mod paths;
mod text;

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::detect::{Failure, TaskRef};
use crate::engine::shuttle::Exploration;
use crate::explore::Strategy;
use crate::explore::execution::ExecutionState;
use crate::task::registry::TaskState;

/// What an exploration found: the verdict, the failing execution's findings, its
/// tasks and timeline. `Display` renders the text report; [`Report::to_json`] the JSON.
///
/// The text is deterministic: no addresses, thread ids, times or absolute paths.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    test: String,
    engine: &'static str,
    strategy: String,
    seed: u64,
    iterations: usize,
    executions: usize,
    failing_execution: Option<usize>,
    out_of_time: bool,
    findings: Vec<Failure>,
    tasks: Vec<TaskSummary>,
    timeline: Vec<TimelineEvent>,
    harness_error: Option<String>,
    /// How to replay the failing execution, and how it was shrunk.
    replay: Option<Replayed>,
    /// Preemptions of the failing execution as reported (after shrinking).
    preemptions: usize,
    /// How many different schedules the executions took.
    distinct_schedules: usize,
}

/// How to replay a failing execution.
#[derive(Clone, Debug, Serialize)]
pub struct Replayed {
    /// The token, for `RACEWRIGHT_REPLAY`.
    pub token: String,
    /// The command that replays it.
    pub command: String,
    /// Preemptions of the execution as found, before shrinking.
    pub found_preemptions: usize,
    /// The failure was kept by an earlier run (`racewright-regressions/`) and replayed first.
    pub kept: bool,
}

/// A task of the failing execution, as the report lists it.
#[derive(Clone, Debug, Serialize)]
pub struct TaskSummary {
    /// Id and name.
    #[serde(flatten)]
    pub task: TaskRef,
    /// `file:line:column` of the `spawn` call; `None` for the body.
    pub spawned_at: Option<String>,
    /// How the task ended.
    pub state: TaskState,
    /// What the task was blocked in when the execution ended, if anything.
    pub blocked_in: Option<String>,
}

/// One facade operation of the failing execution.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEvent {
    /// The scheduling step.
    pub step: usize,
    /// The task's id.
    pub task: usize,
    /// The operation, e.g. `Mutex::lock`.
    pub operation: String,
    /// Where it was called, `file:line`.
    pub at: String,
    /// The values that matter.
    pub detail: Option<String>,
    /// The task got to run here by preempting another that could have gone on.
    pub preempted: bool,
}

impl Report {
    pub(crate) fn new(
        test: &str,
        engine: &'static str,
        strategy: Strategy,
        seed: u64,
        iterations: usize,
        exploration: Exploration,
        replay: Option<Replayed>,
    ) -> Report {
        let (failing_execution, state) = match exploration.failed {
            Some((index, state)) => (Some(index), Some(state)),
            None => (None, None),
        };
        let mut report = Report {
            test: test.to_string(),
            engine,
            strategy: strategy.to_string(),
            seed,
            iterations,
            executions: exploration.executions,
            failing_execution,
            out_of_time: exploration.out_of_time,
            findings: Vec::new(),
            tasks: Vec::new(),
            timeline: Vec::new(),
            harness_error: exploration.harness_error,
            replay: None,
            preemptions: 0,
            distinct_schedules: exploration.distinct_schedules,
        };
        if let Some(state) = state {
            report.preemptions = state.preemptions.len();
            report.describe(state);
            report.replay = replay;
        }
        report
    }

    fn describe(&mut self, state: ExecutionState) {
        self.findings = state.findings;
        self.tasks = state
            .tasks
            .iter()
            .map(|task| TaskSummary {
                task: TaskRef::of(task),
                spawned_at: task.spawned_at.map(paths::location),
                state: task.state,
                blocked_in: task.waiting.as_ref().map(|wait| wait.describe()),
            })
            .collect();
        let mut marked = std::collections::HashSet::new();
        self.timeline = state
            .trace
            .events()
            .iter()
            .map(|event| TimelineEvent {
                step: event.step,
                task: event.task.0,
                operation: event.operation.to_string(),
                at: event.at.render(),
                detail: event.detail.clone(),
                preempted: state.preempted_steps.contains(&event.step) && marked.insert(event.step),
            })
            .collect();
    }

    /// The first failure found, which leads the report.
    pub fn failure(&self) -> Option<&Failure> {
        self.findings.first()
    }

    /// Every finding of the failing execution, the first one found leading.
    pub fn failures(&self) -> &[Failure] {
        &self.findings
    }

    /// The test's path.
    pub fn test(&self) -> &str {
        &self.test
    }

    /// Executions run, the failing one included.
    pub fn executions(&self) -> usize {
        self.executions
    }

    /// The number (from 1) of the execution that failed.
    pub fn failing_execution(&self) -> Option<usize> {
        self.failing_execution
    }

    /// The seed the random strategies used.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A failure of racewright itself, never the user's.
    pub fn harness_error(&self) -> Option<&str> {
        self.harness_error.as_deref()
    }

    /// The tasks of the failing execution.
    pub fn tasks(&self) -> &[TaskSummary] {
        &self.tasks
    }

    /// How to replay the failing execution.
    pub fn replay(&self) -> Option<&Replayed> {
        self.replay.as_ref()
    }

    /// What the exploration did, for a test that found nothing: executions, distinct
    /// schedules, and the outcome of each kind of finding. Deterministic, for snapshots.
    pub fn summary(&self) -> String {
        let mut text = String::new();
        let verdict = match self.failure() {
            Some(failure) => format!("FAILED ({})", failure.kind()),
            None => "passed".to_string(),
        };
        text.push_str(&format!("racewright: {verdict}: {}\n", self.test));
        text.push_str(&format!("  engine {} | strategy {} | seed {}\n", self.engine, self.strategy, self.seed));
        text.push_str(&format!(
            "  executions {} of {} | distinct schedules {}\n",
            self.executions, self.iterations, self.distinct_schedules
        ));
        for kind in crate::FailureKind::ALL {
            let found = self.findings.iter().filter(|failure| failure.kind() == kind).count();
            text.push_str(&format!(
                "  {:<16} {}\n",
                kind.as_str(),
                if found == 0 { "none".to_string() } else { found.to_string() }
            ));
        }
        text
    }

    /// The text a `snapshot` test pins: the report of a failure, else the summary.
    pub fn snapshot(&self) -> String {
        if self.failure().is_some() { self.to_string() } else { self.summary() }
    }

    /// The model as pretty-printed JSON, for tools.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is plain data")
    }

    /// Writes the report (text and JSON) under `target/racewright/`, for CI to keep.
    /// Returns where the text went; a write that fails is reported on stderr and skipped.
    pub fn persist(&self) -> Option<PathBuf> {
        let directory = target_directory()?.join("racewright");
        let stem: String = self
            .test
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
            .collect();
        let text = directory.join(format!("{stem}.txt"));
        let written = std::fs::create_dir_all(&directory)
            .and_then(|()| std::fs::write(&text, self.to_string()))
            .and_then(|()| std::fs::write(directory.join(format!("{stem}.json")), self.to_json()));
        match written {
            Ok(()) => Some(text),
            Err(error) => {
                eprintln!("racewright: could not write the report under {}: {error}", directory.display());
                None
            }
        }
    }
}

/// Cargo's target directory: `CARGO_TARGET_DIR`, or `target/` at the workspace root.
fn target_directory() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(dir));
    }
    paths::workspace_root().map(|root| root.join("target"))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::render(self, f)
    }
}

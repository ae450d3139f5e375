//! The report of an exploration: one serde model, rendered as text, JSON and HTML.

mod html;
mod repeats;
pub(crate) mod steps;
mod text;

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::{Explored, Interleaving};
use crate::model::failure::{Failure, TaskRef, first_line};
use crate::model::metrics::Metrics;
use crate::model::paths;
use crate::model::tasks::{Resource, TaskRecord, TaskState};
use crate::run::execution::ExecutionState;
use crate::trace::{Closing, Transition};

/// What an exploration found: the verdict, the failing execution's findings, its
/// tasks and timeline. `Display` renders the text report; [`Report::to_json`] the JSON.
///
/// The text is deterministic: no addresses, thread ids, times or absolute paths.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    test: String,
    engine: String,
    strategy: String,
    seed: u64,
    iterations: usize,
    executions: usize,
    failing_execution: Option<usize>,
    out_of_time: bool,
    findings: Vec<Failure>,
    tasks: Vec<TaskSummary>,
    timeline: Vec<TimelineEvent>,
    /// How the tasks' state changed between the timeline's events.
    #[serde(default)]
    changes: Vec<StateChange>,
    harness_error: Option<String>,
    /// How to replay the failing execution, and how it was shrunk.
    replay: Option<Replayed>,
    /// Preemptions of the failing execution as reported (after shrinking).
    preemptions: usize,
    /// How many different schedules the executions took.
    distinct_schedules: usize,
    /// Every interleaving within the bounds was explored (loom).
    #[serde(default)]
    exhaustive: bool,
    /// Why the exploration could not finish (a limit of the engine or of the config).
    #[serde(default)]
    limit: Option<String>,
    /// What the other engines of an `engine = "all"` run found, one line each.
    #[serde(default)]
    also: Vec<EngineRun>,
    /// The replay stopped at a step (`RACEWRIGHT_STOP_AT`): the report is the execution
    /// up to there, not a verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stopped: Option<Stop>,
    /// What the exploration could not vouch for, though nothing failed: one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// The most tasks one execution spawned besides the body: does the scenario fit loom?
    #[serde(skip)]
    max_tasks: usize,
    /// The failing execution's metrics; with no failure, those of every execution.
    #[serde(default)]
    metrics: Metrics,
}

/// Where a replay stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stop {
    /// The step it stopped after.
    pub(crate) step: usize,
    /// The execution had ended by then: there is no next step.
    pub(crate) ended: bool,
}
/// The note of an exhaustive exploration that found no interleaving of the tasks.
const ONE_INTERLEAVING: &str = "only one interleaving was possible: loom found no point where a task could run \
     between two steps of another. racewright interleaves tasks only at its own operations (racewright::sync, \
     ::task, ::time), and loom only where they touch the same racewright object: what they share through \
     std::sync::atomic, a std lock or anything else racewright does not see is not explored (README, \"What \
     racewright cannot see\")";

/// The note of a sample in which no execution interleaved the tasks.
const NO_INTERLEAVING: &str = "no execution interleaved the tasks: none ran a task between two steps of another. \
     racewright interleaves tasks only at its own operations (racewright::sync, ::task, ::time): what they share \
     through std::sync::atomic, a std lock or anything else racewright does not see is not explored (README, \
     \"What racewright cannot see\")";

/// Executions a sample must have run for its notes on interleaving: in a smaller one,
/// never splitting a task may be chance.
const SAMPLE_FOR_NOTES: usize = 100;

/// How another engine's exploration of the same scenario went.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineRun {
    /// The engine: `shuttle` or `loom`.
    pub engine: String,
    /// Its verdict in a few words, e.g. `passed, 37 executions (exhaustive)`.
    pub verdict: String,
}

/// How to replay a failing execution.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// For a task that panicked: where (`file:line:column`, when known), and the first line
    /// of its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic: Option<TaskPanic>,
    /// Where the task was, across its awaits, when the execution ended (for a task alive
    /// then, or one that panicked): the racewright operation it waits in, then the
    /// `tracing` spans it is in, innermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<StackFrame>,
}

/// Where a task panicked, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskPanic {
    /// The first line of the panic's message.
    pub message: String,
    /// `file:line:column` of the panic, when known.
    pub at: Option<String>,
}

/// One frame of a task's async stack: where it waits, or a `tracing` span it is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StackFrame {
    /// The racewright operation the task waits in.
    Wait {
        /// The operation, e.g. `Mutex::lock`.
        operation: String,
        /// The primitive it waits on, `Mutex@src/bank.rs:12`, when it is one.
        on: Option<String>,
        /// Where it waits, `file:line:column`; for `JoinHandle::await`, the awaited
        /// task's spawn site.
        at: String,
        /// The task whose `JoinHandle` it awaits, by id.
        awaits: Option<usize>,
    },
    /// A `tracing` span the task is in: an `#[instrument]`ed function, an
    /// `.instrument(span)`ed future, an entered span.
    Span {
        /// `name{fields}`, as `tracing-subscriber`'s formatter writes a span.
        span: String,
        /// Where the span is declared, `file:line`.
        at: Option<String>,
    },
}

impl TaskSummary {
    /// The task's async stack as the text report shows it, a line per frame; none when
    /// the task is in no span (its wait is then the task's own line). A wait for another
    /// task's `JoinHandle` goes on with what that task waits in, and so on: the chain of
    /// waits.
    pub(crate) fn stack_lines(&self, tasks: &[TaskSummary]) -> Vec<String> {
        if !self.stack.iter().any(|frame| matches!(frame, StackFrame::Span { .. })) {
            return Vec::new();
        }
        self.stack
            .iter()
            .map(|frame| match frame {
                StackFrame::Wait { .. } => wait_chain(frame, tasks),
                StackFrame::Span { span, at: Some(at) } => format!("in {span} at {at}"),
                StackFrame::Span { span, at: None } => format!("in {span}"),
            })
            .collect()
    }
}

/// `waits in Mutex::lock on Mutex@a.rs:3 at a.rs:10:5`; for a `JoinHandle`, `waits in
/// JoinHandle::await for #1 "worker", which waits in ...`, as far as the awaited tasks wait.
fn wait_chain(frame: &StackFrame, tasks: &[TaskSummary]) -> String {
    let mut text = String::new();
    let mut seen = Vec::new();
    let mut frame = Some(frame);
    while let Some(StackFrame::Wait { operation, on, at, awaits }) = frame {
        text.push_str(&format!("waits in {operation}"));
        let Some(id) = awaits else {
            match on {
                Some(on) => text.push_str(&format!(" on {on} at {at}")),
                None => text.push_str(&format!(" at {at}")),
            }
            break;
        };
        let awaited = tasks.iter().find(|task| task.task.id == *id);
        match awaited {
            Some(task) => text.push_str(&format!(" for {}", task.task)),
            None => text.push_str(&format!(" for #{id}")),
        }
        // A cycle of joins is a deadlock the report names elsewhere: say it once.
        if seen.contains(id) {
            break;
        }
        seen.push(*id);
        frame = awaited.and_then(|task| task.stack.first()).filter(|next| matches!(next, StackFrame::Wait { .. }));
        if frame.is_some() {
            text.push_str(", which ");
        }
    }
    text
}

/// One facade operation of the failing execution.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    /// The virtual time when it happened, once the clock has moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// For a `tracing` event, the spans it was emitted in, outermost first: `a{x=1}:b`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spans: Option<String>,
}

impl TimelineEvent {
    /// What the timeline says of the event: the operation, then a `tracing` event's spans
    /// and message as `tracing-subscriber`'s formatter writes them, or the operation's
    /// values.
    pub(crate) fn what(&self) -> String {
        match (&self.spans, &self.detail) {
            (Some(spans), Some(detail)) => format!("{} {spans}: {detail}", self.operation),
            (Some(spans), None) => format!("{} {spans}:", self.operation),
            (None, Some(detail)) => format!("{} {detail}", self.operation),
            (None, None) => self.operation.clone(),
        }
    }
}

/// A change of a task's state, or of a channel's by a task, between the timeline's events:
/// the step-by-step view replays them to tell, after each event, who holds what, who
/// waits, and what each channel holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StateChange {
    /// How many timeline events happened before it.
    pub(crate) after: usize,
    /// The scheduling step.
    pub(crate) step: usize,
    /// The task whose state changed, or that changed the channel.
    pub(crate) task: usize,
    /// The virtual time, once the clock has moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) clock: Option<String>,
    pub(crate) change: Change,
}

/// What changed; primitives (channels too) are named `Mutex@file:line`, and
/// `Mutex@file:line (2)` for the second one created at the same place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Change {
    /// The task was spawned.
    Spawned,
    /// The task took (part of) `resource`, at `at` (`file:line`).
    Acquired { resource: String, at: String },
    /// The hold of `resource` taken at `at` was given back.
    Released { resource: String, at: String },
    /// The task waits in `operation` (on `on`, when it is a primitive) at `at`.
    Blocked { operation: String, on: Option<String>, at: String },
    /// The task returned `Pending` without waiting on a racewright primitive: it yielded,
    /// or awaits a future of its own.
    Suspended,
    /// The task is polled again after a `Pending`.
    Resumed,
    /// The task finished, panicked or was cancelled.
    Ended { state: TaskState },
    /// The task made `channel`, which holds at most `capacity` messages (`None`: no bound
    /// to show).
    ChannelOpened { channel: String, capacity: Option<usize> },
    /// The task put a message into `channel` at `at` (`file:line`); it now holds `len`, the
    /// oldest beyond that overwritten or replaced.
    Sent { channel: String, at: String, len: usize },
    /// Messages were taken out of `channel`, oldest first; it now holds `len`.
    Taken { channel: String, len: usize },
    /// The task closed `channel`.
    ChannelClosed { channel: String, how: Closing },
}

impl Report {
    pub(crate) fn new(
        test: &str,
        engine: &str,
        strategy: String,
        seed: u64,
        iterations: usize,
        exploration: Explored,
        replay: Option<Replayed>,
    ) -> Report {
        let (failing_execution, state) = match exploration.failed {
            Some((index, state)) => (Some(index), Some(state)),
            None => (None, None),
        };
        let mut report = Report {
            test: test.to_string(),
            engine: engine.to_string(),
            strategy,
            seed,
            iterations,
            executions: exploration.executions,
            failing_execution,
            out_of_time: exploration.out_of_time,
            findings: Vec::new(),
            tasks: Vec::new(),
            timeline: Vec::new(),
            changes: Vec::new(),
            harness_error: exploration.harness_error,
            replay: None,
            preemptions: 0,
            distinct_schedules: exploration.distinct_schedules,
            exhaustive: exploration.exhaustive,
            limit: exploration.limit,
            also: Vec::new(),
            stopped: None,
            notes: exploration.notes,
            max_tasks: exploration.max_tasks,
            metrics: exploration.metrics,
        };
        if let Some(state) = state {
            report.describe(&state);
            report.replay = replay;
        }
        // A pass that never interleaved the tasks vouches for one order of each task's steps.
        let passed = report.findings.is_empty() && report.harness_error.is_none();
        if passed && exploration.interleaving == Interleaving::Never {
            if report.exhaustive {
                report.notes.insert(0, ONE_INTERLEAVING.to_string());
            } else if report.executions >= SAMPLE_FOR_NOTES {
                report.notes.insert(0, NO_INTERLEAVING.to_string());
            }
        }
        report
    }

    /// Describes `state` as the failing execution.
    pub(crate) fn describe(&mut self, state: &ExecutionState) {
        self.preemptions = state.scheduler.preemptions.len();
        self.metrics = state.metrics();
        self.findings = state.findings.clone();
        self.tasks = state
            .tasks
            .iter()
            .map(|task| TaskSummary {
                task: TaskRef::of(task),
                spawned_at: task.spawned_at.map(paths::location),
                state: task.state,
                blocked_in: task.waiting.as_ref().map(|wait| wait.describe()),
                panic: task
                    .panic
                    .as_ref()
                    .map(|(message, at)| TaskPanic { message: first_line(message).to_string(), at: at.clone() }),
                stack: stack_of(task),
            })
            .collect();
        self.timeline = state
            .trace
            .events()
            .iter()
            .zip(preempting_events(state))
            .map(|(event, preempted)| TimelineEvent {
                step: event.step,
                task: event.task.0,
                operation: event.operation.to_string(),
                at: event.at.render(),
                detail: event.detail.clone(),
                preempted,
                clock: clock(event.clock),
                spans: event.spans.clone(),
            })
            .collect();
        let mut names = ResourceNames::default();
        self.changes = state
            .trace
            .changes()
            .iter()
            .map(|change| StateChange {
                after: change.after,
                step: change.step,
                task: change.task.0,
                clock: clock(change.clock),
                change: match &change.what {
                    Transition::Spawned => Change::Spawned,
                    Transition::Acquired(resource, at) => {
                        Change::Acquired { resource: names.of(*resource), at: paths::short(at) }
                    }
                    Transition::Released(resource, at) => {
                        Change::Released { resource: names.of(*resource), at: paths::short(at) }
                    }
                    Transition::Blocked(wait) => Change::Blocked {
                        operation: wait.operation.to_string(),
                        on: wait.resource.map(|resource| names.of(resource)),
                        at: paths::short(wait.at),
                    },
                    Transition::Suspended => Change::Suspended,
                    Transition::Resumed => Change::Resumed,
                    Transition::Ended(state) => Change::Ended { state: *state },
                    Transition::ChannelOpened(channel, capacity) => {
                        Change::ChannelOpened { channel: names.of(*channel), capacity: *capacity }
                    }
                    Transition::Sent(channel, at, len) => {
                        Change::Sent { channel: names.of(*channel), at: paths::short(at), len: *len }
                    }
                    Transition::Taken(channel, len) => Change::Taken { channel: names.of(*channel), len: *len },
                    Transition::ChannelClosed(channel, how) => {
                        Change::ChannelClosed { channel: names.of(*channel), how: *how }
                    }
                },
            })
            .collect();
    }

    /// The report of a replay stopped after `step`: what happened up to it (the state of
    /// the tasks is already that of the moment the replay stopped). `ended`: the
    /// execution had ended by then.
    pub(crate) fn stopped(mut self, step: usize, ended: bool) -> Report {
        self.timeline.retain(|event| event.step <= step);
        self.changes.retain(|change| change.step <= step);
        self.stopped = Some(Stop { step, ended });
        self
    }

    /// The step a replay stopped at (`RACEWRIGHT_STOP_AT`, [`Scenario::stop_at`]): the
    /// report is then the execution up to that step, with the state there, not a verdict.
    ///
    /// [`Scenario::stop_at`]: crate::Scenario::stop_at
    pub fn stopped_at(&self) -> Option<usize> {
        self.stopped.map(|stop| stop.step)
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

    /// The engine whose execution the report describes: `shuttle` or `loom`.
    pub fn engine(&self) -> &str {
        &self.engine
    }

    /// Whether every interleaving within the bounds was explored: loom's exploration
    /// ended on its own. Never true on shuttle, which samples.
    pub fn exhaustive(&self) -> bool {
        self.exhaustive
    }

    /// Why the exploration stopped before it could give its answer, when it did: a loom
    /// exploration cut short by `iterations` or the time budget, a scenario past loom's
    /// limits. A report with a limit and no failure is not a pass.
    pub fn limit(&self) -> Option<&str> {
        self.limit.as_deref()
    }

    /// What the other engines of an `engine = "all"` run found.
    pub fn also(&self) -> &[EngineRun] {
        &self.also
    }

    /// Preemptions of the described execution.
    pub(crate) fn preemptions(&self) -> usize {
        self.preemptions
    }

    /// The report with `finding` leading.
    pub(crate) fn with_finding(mut self, finding: Failure) -> Report {
        self.findings.insert(0, finding);
        self
    }

    /// What the exploration could not vouch for, though it found nothing: a scenario whose
    /// tasks ran in one order only, a thread or tokio runtime of the test's own that
    /// racewright does not control. One line each; the text report and the summary show
    /// them as `note:` lines. Like the rest of the report they depend only on what the
    /// executions did, except the note of a thread of the test's own: whether one is seen
    /// running depends on how long it runs.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The report with `note` added, once.
    pub(crate) fn with_note(mut self, note: &str) -> Report {
        if !self.notes.iter().any(|known| known == note) {
            self.notes.push(note.to_string());
        }
        self
    }

    /// The report of an exploration given up in execution `execution`, stuck outside
    /// racewright's control: `finding` says where.
    pub(crate) fn abandoned(mut self, execution: usize, finding: Failure) -> Report {
        self.executions = execution;
        self.failing_execution = Some(execution);
        self.findings = vec![finding];
        self
    }

    /// The report with how to see its failure again.
    pub(crate) fn with_replay(mut self, replay: Replayed) -> Report {
        self.replay = Some(replay);
        self
    }

    pub(crate) fn max_tasks(&self) -> usize {
        self.max_tasks
    }

    /// Describes `state` as execution `execution`, the failing one.
    pub(crate) fn failing_at(mut self, execution: usize, state: &ExecutionState) -> Report {
        self.describe(state);
        self.failing_execution = Some(execution);
        self
    }

    /// Adds a line to the lead finding (or, with none, to the harness error).
    pub(crate) fn note(mut self, line: String) -> Report {
        match self.findings.first_mut() {
            Some(first) => *first = first.clone().detail(line),
            None => {
                let error = self.harness_error.take().map(|error| format!("{error}\n{line}")).unwrap_or(line);
                self.harness_error = Some(error);
            }
        }
        self
    }

    /// The verdict in a few words, for the `also` line of another engine's report.
    pub(crate) fn short_verdict(&self) -> String {
        let executions = if self.exhaustive {
            format!("{} executions (exhaustive)", self.executions)
        } else {
            format!("{} executions", self.executions)
        };
        match (self.failure(), &self.limit, &self.harness_error) {
            (Some(failure), _, _) => format!(
                "FAILED ({}) at execution {}: {}",
                failure.kind(),
                self.failing_execution.unwrap_or(self.executions),
                first_line(failure.message())
            ),
            (None, _, Some(error)) => format!("ERROR: {error}"),
            (None, Some(limit), None) => format!("INCOMPLETE after {executions}: {limit}"),
            (None, None, None) => format!("passed, {executions}"),
        }
    }

    /// Adds another engine's verdict; its limit, if this report has no failure, makes
    /// this one incomplete too.
    pub(crate) fn with_also(mut self, other: &Report) -> Report {
        if self.failure().is_none() && self.limit.is_none() && other.failure().is_none() {
            self.limit = other.limit.as_ref().map(|limit| format!("{}: {limit}", other.engine));
        }
        self.also.push(EngineRun { engine: other.engine.clone(), verdict: other.short_verdict() });
        for note in &other.notes {
            self = self.with_note(&format!("{}: {note}", other.engine));
        }
        self
    }

    /// Notes that an engine did not run, and why.
    pub(crate) fn with_skipped(mut self, engine: &str, why: String) -> Report {
        self.also.push(EngineRun { engine: engine.to_string(), verdict: format!("skipped: {why}") });
        self
    }

    /// The model read back from [`Report::to_json`]'s text.
    pub(crate) fn from_json(text: &str) -> Result<Report, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    /// How the program used its queues, tasks and time: in the failing execution, or,
    /// with no failure, over every execution.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
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
        for note in &self.notes {
            text.push_str(&format!("  note: {note}\n"));
        }
        for kind in crate::model::failure::FailureKind::ALL {
            let found = self.findings.iter().filter(|failure| failure.kind() == kind).count();
            text.push_str(&format!(
                "  {:<18} {}\n",
                kind.as_str(),
                if found == 0 { "none".to_string() } else { found.to_string() }
            ));
        }
        let mut metrics = String::new();
        let _ = text::metrics(&self.metrics, "over every execution", &mut metrics);
        text.push_str(&metrics);
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

    /// The report as one self-contained HTML page: the timeline as swimlanes, a slider to
    /// step through it, and the state after each step (who holds what, who waits on
    /// whom, what each channel holds). The page embeds [`Report::to_json`]'s text and
    /// needs no network.
    ///
    /// ```
    /// let report = racewright::Scenario::new("doc::html").run(|| async {
    ///     let handle = racewright::spawn(async { 1 });
    ///     assert_eq!(handle.await.unwrap(), 2);
    /// });
    /// assert!(report.to_html().starts_with("<!DOCTYPE html>"));
    /// ```
    pub fn to_html(&self) -> String {
        html::render(self)
    }

    /// Writes the report (text, JSON and HTML) under `target/racewright/`, for CI to keep.
    /// Returns where the text went (the others share its name); a write that fails is
    /// reported on stderr and skipped.
    pub fn persist(&self) -> Option<PathBuf> {
        let directory = target_directory()?.join("racewright");
        let mut stem: String = self
            .test
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
            .collect();
        // A stopped replay does not overwrite the report of the whole failure.
        if let Some(step) = self.stopped_at() {
            stem.push_str(&format!(".step-{step}"));
        }
        let text = directory.join(format!("{stem}.txt"));
        let written = std::fs::create_dir_all(&directory)
            .and_then(|()| std::fs::write(&text, self.to_string()))
            .and_then(|()| std::fs::write(directory.join(format!("{stem}.json")), self.to_json()))
            .and_then(|()| std::fs::write(directory.join(format!("{stem}.html")), self.to_html()));
        match written {
            Ok(()) => Some(text),
            Err(error) => {
                eprintln!("racewright: could not write the report under {}: {error}", directory.display());
                None
            }
        }
    }
}

/// A task's async stack: for a task alive at the end, or one that panicked, where it
/// waits and the spans it is in, innermost first.
fn stack_of(task: &TaskRecord) -> Vec<StackFrame> {
    if !matches!(task.state, TaskState::Running | TaskState::Panicked) {
        return Vec::new();
    }
    let wait = task.waiting.iter().map(|wait| StackFrame::Wait {
        operation: wait.operation.to_string(),
        on: wait.resource.map(|resource| resource.to_string()),
        at: paths::location(wait.at),
        awaits: wait.awaits.map(|task| task.0),
    });
    let spans = task.spans().map(|span| StackFrame::Span { span: span.describe(), at: span.at.clone() });
    wait.chain(spans).collect()
}

/// Which events of the trace carry the preemption mark: the first event at the
/// preemption's step or after it. That is the chosen task's first operation, or, where
/// the chosen task did nothing before the next switch (a task started, or resumed after a
/// yield or a release, runs to its next racewright call's scheduling point first), the
/// next task's. A switch away from such a task preempts nothing, so an event comes
/// between any two preemptions and each has its mark.
fn preempting_events(state: &ExecutionState) -> Vec<bool> {
    let mut steps = state.scheduler.preemptions.iter().map(|preemption| preemption.step).peekable();
    state
        .trace
        .events()
        .iter()
        .map(|event| {
            let mut marked = false;
            while steps.next_if(|step| *step <= event.step).is_some() {
                marked = true;
            }
            marked
        })
        .collect()
}

/// The virtual time for the report: `None` while the clock has not moved.
fn clock(time: std::time::Duration) -> Option<String> {
    (!time.is_zero()).then(|| crate::model::timers::display(time))
}

/// Names primitives for the report, telling apart those created at the same place by a
/// number in the order they first appear.
#[derive(Default)]
struct ResourceNames {
    known: Vec<(Resource, String)>,
}

impl ResourceNames {
    fn of(&mut self, resource: Resource) -> String {
        if let Some((_, name)) = self.known.iter().find(|(known, _)| known.same(&resource)) {
            return name.clone();
        }
        let base = resource.to_string();
        let twins = self.known.iter().filter(|(known, _)| known.to_string() == base).count();
        let name = if twins == 0 { base } else { format!("{base} ({})", twins + 1) };
        self.known.push((resource, name.clone()));
        name
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

//! The findings of an execution, as data: what went wrong, where, and in which task.

use std::fmt;
use std::panic::Location;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::paths;
use super::tasks::{TaskId, TaskRecord};

/// The first line of a panic's or a finding's message: what a line of a report holds
/// (`assert_eq!`'s values follow on lines of their own).
pub(crate) fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

/// The kinds of failure racewright finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// An assertion or panic reached the scenario's body.
    Panic,
    /// Every task was blocked and nothing could wake any of them.
    Deadlock,
    /// A task was still alive when the body returned and the others had settled.
    Leak,
    /// A task panicked and nobody observed it through its `JoinHandle`.
    UnhandledPanic,
    /// The body returned `Err`, or an ERROR-level `tracing` event was emitted.
    Error,
    /// An execution took more scheduling steps than `max_steps` (livelock, spin loop).
    StepLimit,
    /// Replaying a schedule did not reproduce it.
    Nondeterminism,
    /// A task returned `Pending` with nothing left that could wake it: no clone of its
    /// waker kept, no racewright primitive waited on, no timer set.
    LostWakeup,
    /// A task blocked the thread that polls it: a blocking lock's guard held across an
    /// `.await`, or (with `flavor = "current_thread"`) a blocking wait that stalls every task.
    BlockingInAsync,
    /// A channel was dropped with messages sent into it and never received.
    LostMessages,
    /// An unbounded channel, a `JoinSet` or the set of live tasks grew past `max_queue`.
    UnboundedGrowth,
}

impl FailureKind {
    /// Every kind, in the order of the attribute's documentation.
    pub const ALL: [FailureKind; 11] = [
        FailureKind::Panic,
        FailureKind::Deadlock,
        FailureKind::Leak,
        FailureKind::UnhandledPanic,
        FailureKind::Error,
        FailureKind::StepLimit,
        FailureKind::Nondeterminism,
        FailureKind::LostWakeup,
        FailureKind::BlockingInAsync,
        FailureKind::LostMessages,
        FailureKind::UnboundedGrowth,
    ];

    /// The name used by `expect = "..."` and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Panic => "panic",
            FailureKind::Deadlock => "deadlock",
            FailureKind::Leak => "leak",
            FailureKind::UnhandledPanic => "unhandled_panic",
            FailureKind::Error => "error",
            FailureKind::StepLimit => "step_limit",
            FailureKind::Nondeterminism => "nondeterminism",
            FailureKind::LostWakeup => "lost_wakeup",
            FailureKind::BlockingInAsync => "blocking_in_async",
            FailureKind::LostMessages => "lost_messages",
            FailureKind::UnboundedGrowth => "unbounded_growth",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailureKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        FailureKind::ALL.into_iter().find(|kind| kind.as_str() == name).ok_or_else(|| {
            let accepted: Vec<_> = FailureKind::ALL.iter().map(|kind| format!("\"{kind}\"")).collect();
            format!("unknown failure kind \"{name}\"; expected one of {}", accepted.join(", "))
        })
    }
}

/// A task as a finding names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRef {
    /// The task's id, in spawn order (the body is 0).
    pub id: usize,
    /// The task's name: given with `task::Builder::name`, or `task-N`, or `main` for the body.
    pub name: String,
}

impl TaskRef {
    pub(crate) fn of(task: &TaskRecord) -> TaskRef {
        TaskRef { id: task.id.0, name: task.display_name() }
    }
}

impl fmt::Display for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} \"{}\"", TaskId(self.id), self.name)
    }
}

/// One thing that went wrong in an execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    kind: FailureKind,
    message: String,
    location: Option<String>,
    task: Option<TaskRef>,
    details: Vec<String>,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure { kind, message: message.into(), location: None, task: None, details: Vec::new() }
    }

    pub(crate) fn at(mut self, location: Option<String>) -> Failure {
        self.location = location;
        self
    }

    pub(crate) fn at_location(self, location: &'static Location<'static>) -> Failure {
        self.at(Some(paths::location(location)))
    }

    pub(crate) fn in_task(mut self, task: TaskRef) -> Failure {
        self.task = Some(task);
        self
    }

    pub(crate) fn detail(mut self, line: impl Into<String>) -> Failure {
        self.details.push(line.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The message: the panic's, the error's, or a summary of the finding.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where it happened (`file:line:column`, relative to the workspace), when known.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The task it happened in, when it happened in one.
    pub fn task(&self) -> Option<&TaskRef> {
        self.task.as_ref()
    }

    /// The finding's explanation, a line each: the blocked tasks of a deadlock, say.
    pub fn details(&self) -> &[String] {
        &self.details
    }
}

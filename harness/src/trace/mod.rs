//! The event log of one execution: every facade operation, per task and step, and the
//! changes of the tasks' and channels' state between them (what the report's step-by-step
//! view replays).

use std::panic::Location;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::tasks::{Resource, TaskId, TaskState, Wait};

/// One thing a task did.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    /// The scheduling decision during which it happened.
    pub(crate) step: usize,
    pub(crate) task: TaskId,
    /// The facade operation, e.g. `Mutex::lock`, or the level of a `tracing` event.
    pub(crate) operation: &'static str,
    /// Where it happened.
    pub(crate) at: Site,
    /// The values that matter, e.g. what a channel returned, or the event's message.
    pub(crate) detail: Option<String>,
    /// The virtual time when it happened.
    pub(crate) clock: Duration,
    /// The `tracing` spans a `tracing` event was emitted in, outermost first: `a{x=1}:b`.
    pub(crate) spans: Option<String>,
}

/// A change of a task's state, or of a channel's by a task, recorded where it happens,
/// between the events.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    /// How many events were recorded before it.
    pub(crate) after: usize,
    pub(crate) step: usize,
    /// The task whose state changed, or that changed the channel.
    pub(crate) task: TaskId,
    pub(crate) clock: Duration,
    pub(crate) what: Transition,
}

/// What changed.
#[derive(Clone, Debug)]
pub(crate) enum Transition {
    /// The task was spawned.
    Spawned,
    /// The task took (part of) a lock or semaphore at `at`.
    Acquired(Resource, &'static Location<'static>),
    /// A hold taken at `at` was given back.
    Released(Resource, &'static Location<'static>),
    /// The task waits.
    Blocked(Wait),
    /// The task returned `Pending` without waiting on a racewright primitive.
    Suspended,
    /// The task is polled again after a `Pending`.
    Resumed,
    /// The task finished, panicked or was cancelled.
    Ended(TaskState),
    /// The task made a channel that holds at most so many messages (`None`: no bound to
    /// show: unbounded, or a `oneshot` or `watch`, which hold one).
    ChannelOpened(Resource, Option<usize>),
    /// The task put a message into a channel at `at`; the channel now holds `len`, the
    /// oldest beyond that overwritten or replaced (`broadcast`, `watch`).
    Sent(Resource, &'static Location<'static>, usize),
    /// Messages were taken out of a channel, oldest first; it now holds `len`.
    Taken(Resource, usize),
    /// The task closed a channel.
    ChannelClosed(Resource, Closing),
}

/// How a channel closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Closing {
    /// Its last sender was dropped: once empty, the receivers get nothing more.
    SendersDropped,
    /// Its receiver closed it: sends fail, what is queued can still be received.
    ReceiverClosed,
    /// Its receiver was dropped: sends fail, and what is queued is lost.
    ReceiverDropped,
}

/// Where an event happened; rendered only when a report needs it, so recording stays cheap.
#[derive(Clone, Debug)]
pub(crate) enum Site {
    /// A facade call.
    Caller(&'static Location<'static>),
    /// A `tracing` event's `file:line:column`.
    Source(String),
    /// Something the engine did, not a line of the user's code (a timer firing).
    Engine,
}

impl Site {
    /// `file:line:column`, relative to the workspace, when it is a place in the code.
    pub(crate) fn full(&self) -> Option<String> {
        match self {
            Site::Caller(location) => Some(crate::model::paths::location(location)),
            Site::Source(text) if !text.is_empty() => Some(text.clone()),
            Site::Source(_) | Site::Engine => None,
        }
    }

    /// `file:line`, relative to the workspace.
    pub(crate) fn render(&self) -> String {
        match self {
            Site::Caller(location) => crate::model::paths::short(location),
            Site::Source(text) => text.rsplit_once(':').map(|(file_line, _)| file_line.to_string()).unwrap_or_default(),
            Site::Engine => String::new(),
        }
    }
}

/// The events of one execution, in the order they happened.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    events: Vec<Event>,
    changes: Vec<Change>,
    /// The virtual time, as last told by whoever moves the clock.
    clock: Duration,
}

impl Trace {
    pub(crate) fn push(
        &mut self,
        step: usize,
        task: TaskId,
        operation: &'static str,
        at: &'static Location<'static>,
        detail: Option<String>,
    ) {
        self.events.push(Event { step, task, operation, at: Site::Caller(at), detail, clock: self.clock, spans: None });
    }

    /// Records something the engine did on behalf of `task`.
    pub(crate) fn push_note(&mut self, step: usize, task: TaskId, operation: &'static str, detail: String) {
        self.events.push(Event {
            step,
            task,
            operation,
            at: Site::Engine,
            detail: Some(detail),
            clock: self.clock,
            spans: None,
        });
    }

    /// Records how a task ended, at `at` (`file:line:column`) when known: a panic, with the
    /// first line of `message` (`assert_eq!`'s values follow on lines of their own, which the
    /// report's headline shows).
    pub(crate) fn push_ending(
        &mut self,
        step: usize,
        task: TaskId,
        operation: &'static str,
        at: Option<String>,
        message: &str,
    ) {
        let at = at.map_or(Site::Engine, Site::Source);
        let detail = crate::model::failure::first_line(message).to_string();
        self.events.push(Event { step, task, operation, at, detail: Some(detail), clock: self.clock, spans: None });
    }

    /// Records a `tracing` event, emitted in `spans` (outermost first, `a{x=1}:b`).
    pub(crate) fn push_event(
        &mut self,
        step: usize,
        task: TaskId,
        level: tracing::Level,
        at: Option<String>,
        message: String,
        spans: Option<String>,
    ) {
        let operation = match level {
            tracing::Level::ERROR => "ERROR",
            tracing::Level::WARN => "WARN",
            tracing::Level::INFO => "INFO",
            tracing::Level::DEBUG => "DEBUG",
            tracing::Level::TRACE => "TRACE",
        };
        self.events.push(Event {
            step,
            task,
            operation,
            at: Site::Source(at.unwrap_or_default()),
            detail: Some(message),
            clock: self.clock,
            spans,
        });
    }

    /// Records a change of `task`'s state.
    pub(crate) fn change(&mut self, step: usize, task: TaskId, what: Transition) {
        let after = self.events.len();
        self.changes.push(Change { after, step, task, clock: self.clock, what });
    }

    /// The virtual clock moved to `now`: what is recorded from here on happened then.
    pub(crate) fn clock_moved(&mut self, now: Duration) {
        self.clock = now;
    }

    /// The index of the last event of `task` that happened at a place in the code.
    pub(crate) fn last_index_of(&self, task: TaskId) -> Option<usize> {
        self.events.iter().rposition(|event| event.task == task && event.at.full().is_some())
    }

    /// The last event of `task` that happened at a place in the code.
    pub(crate) fn last_of(&self, task: TaskId) -> Option<&Event> {
        self.events.iter().rev().find(|event| event.task == task && event.at.full().is_some())
    }

    pub(crate) fn events(&self) -> &[Event] {
        &self.events
    }

    pub(crate) fn changes(&self) -> &[Change] {
        &self.changes
    }
}

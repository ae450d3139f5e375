//! The event log of one execution: every facade operation, per task and step.

use std::panic::Location;

use crate::model::tasks::TaskId;

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
        self.events.push(Event { step, task, operation, at: Site::Caller(at), detail });
    }

    /// Records something the engine did on behalf of `task`.
    pub(crate) fn push_note(&mut self, step: usize, task: TaskId, operation: &'static str, detail: String) {
        self.events.push(Event { step, task, operation, at: Site::Engine, detail: Some(detail) });
    }

    /// Records how a task ended, at `at` (`file:line:column`) when known: a panic.
    pub(crate) fn push_ending(
        &mut self,
        step: usize,
        task: TaskId,
        operation: &'static str,
        at: Option<String>,
        detail: String,
    ) {
        let at = at.map_or(Site::Engine, Site::Source);
        self.events.push(Event { step, task, operation, at, detail: Some(detail) });
    }

    /// Records a `tracing` event.
    pub(crate) fn push_event(
        &mut self,
        step: usize,
        task: TaskId,
        level: tracing::Level,
        at: Option<String>,
        message: String,
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
        });
    }

    pub(crate) fn events(&self) -> &[Event] {
        &self.events
    }
}

//! The event log of one execution: every facade operation, per task and step.

use std::panic::Location;

use crate::task::registry::TaskId;

/// One thing a task did.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    /// The scheduling decision during which it happened.
    pub(crate) step: usize,
    pub(crate) task: TaskId,
    /// The facade operation, e.g. `Mutex::lock`.
    pub(crate) operation: &'static str,
    pub(crate) at: &'static Location<'static>,
    /// The values that matter, e.g. what a channel returned.
    pub(crate) detail: Option<String>,
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
        self.events.push(Event { step, task, operation, at, detail });
    }

    pub(crate) fn events(&self) -> &[Event] {
        &self.events
    }
}

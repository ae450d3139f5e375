//! The queues of one execution (channels, `JoinSet`s): how long each grew and who fed
//! it, and the messages dropped with a receiver that never took them.

use std::panic::Location;

use crate::model::tasks::{Resource, TaskId};

/// Who put values into a queue: a task, at a place, so many times.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Producer {
    pub(crate) task: TaskId,
    pub(crate) at: &'static Location<'static>,
    pub(crate) count: usize,
}

/// One queue's life so far.
#[derive(Clone, Debug)]
pub(crate) struct Queue {
    pub(crate) resource: Resource,
    /// Nothing bounds it: no sender ever waits for room.
    pub(crate) unbounded: bool,
    pub(crate) len: usize,
    pub(crate) longest: usize,
    /// Who put values into it, in the order they first did.
    pub(crate) producers: Vec<Producer>,
}

/// Messages sent into a channel and dropped with it, never received.
#[derive(Clone, Debug)]
pub(crate) struct LostMessages {
    pub(crate) channel: Resource,
    /// How many.
    pub(crate) count: usize,
    /// Who sent them, and how many each, as far as known.
    pub(crate) senders: Vec<Producer>,
    /// The task that dropped the receiver (or its last handle).
    pub(crate) dropped_by: TaskId,
    /// The index in the trace of that task's last event before the drop, if any.
    pub(crate) dropped_after: Option<usize>,
}

/// Every queue of the execution, and every loss.
#[derive(Default)]
pub(crate) struct Queues {
    /// In the order they were first fed.
    pub(crate) queues: Vec<Queue>,
    pub(crate) lost: Vec<LostMessages>,
}

impl Queues {
    /// `resource` now holds `len` values, the last one put there by `task` at `at`; returns
    /// the queue.
    pub(crate) fn pushed(
        &mut self,
        resource: Resource,
        unbounded: bool,
        len: usize,
        task: TaskId,
        at: &'static Location<'static>,
    ) -> &Queue {
        let queue = self.queue(resource, unbounded);
        queue.len = len;
        queue.longest = queue.longest.max(len);
        add(&mut queue.producers, task, at, 1);
        queue
    }

    /// `resource` now holds `len` values.
    pub(crate) fn popped(&mut self, resource: Resource, len: usize) {
        if let Some(queue) = self.queues.iter_mut().find(|queue| queue.resource.same(&resource)) {
            queue.len = len;
        }
    }

    fn queue(&mut self, resource: Resource, unbounded: bool) -> &mut Queue {
        let position = match self.queues.iter().position(|queue| queue.resource.same(&resource)) {
            Some(position) => position,
            None => {
                self.queues.push(Queue { resource, unbounded, len: 0, longest: 0, producers: Vec::new() });
                self.queues.len() - 1
            }
        };
        &mut self.queues[position]
    }
}

/// Counts one more value from `task` at `at` among `producers`.
pub(crate) fn add(producers: &mut Vec<Producer>, task: TaskId, at: &'static Location<'static>, count: usize) {
    match producers.iter_mut().find(|producer| producer.task == task && *producer.at == *at) {
        Some(producer) => producer.count += count,
        None => producers.push(Producer { task, at, count }),
    }
}

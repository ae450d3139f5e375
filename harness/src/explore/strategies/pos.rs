//! The POS strategy: Partial Order Sampling.
//!
//! Yuan, Yang, Gu: "Partial Order Aware Concurrency Sampling", CAV 2018 (basic POS).
//! Every pending step of a task has a random priority and the highest runs; the task
//! that ran draws a fresh priority for its next step, the others keep theirs. Unlike a
//! random walk, a task's chance to run does not shrink with the number of steps others
//! take, so interleavings that need one task to run far ahead are sampled much more
//! evenly.
//!
//! A yield is a fresh draw for every task: tasks spinning on `yield_now` would otherwise
//! redraw at every step while the task they wait for keeps the low priority it drew, and
//! it would run about once in 1/p steps for a priority in the lowest fraction p, which has
//! no bound: an execution that would end ran past the step limit instead.

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use super::random::SplitMix64;

pub(crate) struct Pos {
    /// Seeds each execution, so execution `i` is the same whatever ran before it.
    seeds: SplitMix64,
    /// Drives the current execution's priorities.
    rng: SplitMix64,
    /// Executions left to start.
    remaining: usize,
    /// The priority of each task's next step, by task id; drawn when first needed.
    priorities: Vec<Option<u64>>,
    /// The task that ran last: its next step draws a fresh priority.
    last: Option<TaskId>,
}

impl Pos {
    pub(crate) fn new(seed: u64, iterations: usize) -> Self {
        Pos {
            seeds: SplitMix64::new(seed),
            rng: SplitMix64::new(seed),
            remaining: iterations,
            priorities: Vec::new(),
            last: None,
        }
    }

    fn priority(&mut self, task: TaskId) -> u64 {
        let index = usize::from(task);
        if self.priorities.len() <= index {
            self.priorities.resize(index + 1, None);
        }
        *self.priorities[index].get_or_insert_with(|| self.rng.next_u64())
    }
}

impl Scheduler for Pos {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.remaining = self.remaining.checked_sub(1)?;
        let seed = self.seeds.next_u64();
        self.rng = SplitMix64::new(seed);
        self.priorities.clear();
        self.last = None;
        Some(Schedule::new(seed))
    }

    fn next_task(&mut self, runnable: &[&Task], current: Option<TaskId>, is_yielding: bool) -> Option<TaskId> {
        if let Some(last) = self.last.take() {
            if is_yielding && current == Some(last) {
                self.priorities.clear();
            } else if let Some(slot) = self.priorities.get_mut(usize::from(last)) {
                *slot = None;
            }
        }
        let mut best: Option<(u64, TaskId)> = None;
        for task in runnable {
            let priority = self.priority(task.id());
            if best.is_none_or(|(top, _)| priority > top) {
                best = Some((priority, task.id()));
            }
        }
        self.last = best.map(|(_, task)| task);
        self.last
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

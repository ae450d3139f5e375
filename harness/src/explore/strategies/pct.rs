//! The PCT strategy: Probabilistic Concurrency Testing.
//!
//! Burckhardt, Kothari, Musuvathi, Nagarakatte: "A Randomized Scheduler with
//! Probabilistic Guarantees of Finding Bugs", ASPLOS 2010. Every task gets a random
//! priority and the highest-priority runnable task always runs; at `depth - 1` random
//! steps the running task drops below every other. A bug that needs `depth` ordering
//! constraints is found in each execution with probability at least 1/(n·k^(d-1)) for
//! n tasks and k steps.
//!
//! Unlike shuttle's `PctScheduler`, it accepts executions with no concurrency at all, and
//! a task that yields drops to the lowest priority, so a spin loop on `yield_now` lets
//! the others run.

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use super::random::SplitMix64;

pub(crate) struct Pct {
    /// The bug depth d ≥ 1: each execution has d - 1 change points.
    depth: usize,
    /// Seeds each execution, so execution `i` is the same whatever ran before it.
    seeds: SplitMix64,
    /// Drives the current execution's priorities.
    rng: SplitMix64,
    /// Executions left to start.
    remaining: usize,
    /// Priority of each task of the current execution, by task id; higher runs first.
    /// Invariant: the priorities of known tasks are distinct.
    priorities: Vec<Option<u64>>,
    /// Steps (decisions among two or more runnable tasks) at which the running task drops.
    change_points: Vec<usize>,
    /// The longest execution seen so far, in steps: change points are drawn below it.
    horizon: usize,
    /// Steps taken in the current execution.
    steps: usize,
    /// The next priority handed to a dropped task: below every initial priority, and
    /// decreasing, so the latest dropped task is the lowest.
    next_low: u64,
}

/// Initial priorities are drawn at or above this; dropped tasks get less.
const HIGH: u64 = 1 << 63;

impl Pct {
    pub(crate) fn new(seed: u64, depth: usize, iterations: usize) -> Self {
        Pct {
            depth: depth.max(1),
            seeds: SplitMix64::new(seed),
            rng: SplitMix64::new(seed),
            remaining: iterations,
            priorities: Vec::new(),
            change_points: Vec::new(),
            horizon: 0,
            steps: 0,
            next_low: HIGH - 1,
        }
    }

    fn priority(&mut self, task: TaskId) -> u64 {
        let index = usize::from(task);
        if self.priorities.len() <= index {
            self.priorities.resize(index + 1, None);
        }
        if let Some(priority) = self.priorities[index] {
            return priority;
        }
        let priority = loop {
            let candidate = HIGH | self.rng.next_u64();
            if !self.priorities.contains(&Some(candidate)) {
                break candidate;
            }
        };
        self.priorities[index] = Some(priority);
        priority
    }

    fn drop_priority(&mut self, task: TaskId) {
        self.priority(task);
        self.priorities[usize::from(task)] = Some(self.next_low);
        self.next_low -= 1;
    }
}

impl Scheduler for Pct {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.remaining = self.remaining.checked_sub(1)?;
        let seed = self.seeds.next_u64();
        self.rng = SplitMix64::new(seed);
        self.priorities.clear();
        self.steps = 0;
        self.next_low = HIGH - 1;
        self.change_points.clear();
        // A drop at the first decision only redraws the initial order: points go to the
        // decisions after it (as in shuttle's `PctScheduler`).
        let decisions_after_first = self.horizon.saturating_sub(1);
        let points = (self.depth - 1).min(decisions_after_first);
        while self.change_points.len() < points {
            let point = 2 + self.rng.below(decisions_after_first);
            if !self.change_points.contains(&point) {
                self.change_points.push(point);
            }
        }
        Some(Schedule::new(seed))
    }

    fn next_task(&mut self, runnable: &[&Task], current: Option<TaskId>, is_yielding: bool) -> Option<TaskId> {
        if runnable.len() > 1 {
            self.steps += 1;
            self.horizon = self.horizon.max(self.steps);
            if let Some(current) = current.filter(|_| is_yielding || self.change_points.contains(&self.steps)) {
                self.drop_priority(current);
            }
        }
        let mut best: Option<(u64, TaskId)> = None;
        for task in runnable {
            let priority = self.priority(task.id());
            if best.is_none_or(|(top, _)| priority > top) {
                best = Some((priority, task.id()));
            }
        }
        best.map(|(_, task)| task)
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

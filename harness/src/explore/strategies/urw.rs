//! The URW strategy: Uniform Random Walk.
//!
//! Zhao, Wolff, Mathur, Roychoudhury: "Selectively Uniform Concurrency Testing", ASPLOS
//! 2025. A random walk picks each runnable task with the same chance, so interleavings in
//! which a long task runs early are sampled far more often than those in which it runs
//! late. URW weighs each runnable task by the steps it still has to take (its own, and
//! those of the tasks it has yet to spawn): then every interleaving of the estimated
//! program is equally likely. The estimate of each task (by spawn order, which is the same
//! in every execution of a program) is the mean of the steps it took in the executions so
//! far, rounded up; a task never seen yet weighs the smallest estimate there is.
//!
//! The weights stand for the steps a task is *expected* to take, so the estimate is a
//! mean. (It was the most steps seen in any one execution: every outlier, a run where a
//! task retried or waited longer, raised it for good, and an overweighted task runs early
//! in nearly every execution, which starves interleavings where it runs late; on the
//! bluetooth driver the median executions to the bug halved with the mean, 837 to 415.)
//! Shuttle's `UrwRandomScheduler` estimates from its first execution alone.

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use super::random::SplitMix64;

pub(crate) struct Urw {
    /// Seeds each execution, so execution `i` depends only on the seed and what ran before.
    seeds: SplitMix64,
    /// Drives the current execution's choices.
    rng: SplitMix64,
    /// Executions left to start.
    remaining: usize,
    /// The steps each task is expected to take, by task id: the mean, rounded up, over the
    /// executions it ran in; 0 for a task never seen.
    estimates: Vec<usize>,
    /// Each task's steps summed over the executions it ran in, and how many those were.
    totals: Vec<(usize, usize)>,
    /// Each task's parent, by task id, as last seen.
    parents: Vec<Option<usize>>,
    /// Steps each task took in the current execution.
    taken: Vec<usize>,
    /// Steps each task of the current execution is still expected to take (at least 1 while
    /// it can run); a task is added when first seen runnable.
    left: Vec<usize>,
}

impl Urw {
    pub(crate) fn new(seed: u64, iterations: usize) -> Self {
        Urw {
            seeds: SplitMix64::new(seed),
            rng: SplitMix64::new(seed),
            remaining: iterations,
            estimates: Vec::new(),
            totals: Vec::new(),
            parents: Vec::new(),
            taken: Vec::new(),
            left: Vec::new(),
        }
    }

    /// The steps `task` and everything it spawns are expected to take.
    fn subtree(&self, task: usize) -> usize {
        let smallest = self.estimates.iter().copied().filter(|steps| *steps > 0).min().unwrap_or(1);
        let own = self.estimates.get(task).copied().filter(|steps| *steps > 0).unwrap_or(smallest);
        let children: usize = (0..self.parents.len())
            .filter(|child| *child != task && self.parents[*child] == Some(task))
            .map(|child| self.subtree(child))
            .sum();
        own + children
    }

    /// Sees `task` for the first time in this execution: its subtree's steps move from its
    /// parent's count to its own.
    fn arrive(&mut self, task: usize, parent: Option<usize>) {
        if self.parents.len() <= task {
            self.parents.resize(task + 1, None);
        }
        // Ids grow in spawn order: a parent always has a smaller one.
        self.parents[task] = parent.filter(|parent| *parent < task);
        let expected = self.subtree(task);
        if let Some(parent) = self.parents[task].filter(|parent| *parent < self.left.len()) {
            self.left[parent] = self.left[parent].saturating_sub(expected).max(1);
        }
        if self.left.len() <= task {
            self.left.resize(task + 1, 0);
        }
        self.left[task] = expected.max(1);
    }
}

impl Scheduler for Urw {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.remaining = self.remaining.checked_sub(1)?;
        if self.totals.len() < self.taken.len() {
            self.totals.resize(self.taken.len(), (0, 0));
        }
        for (total, taken) in self.totals.iter_mut().zip(&self.taken).filter(|(_, taken)| **taken > 0) {
            *total = (total.0 + taken, total.1 + 1);
        }
        self.estimates =
            self.totals.iter().map(|(steps, runs)| if *runs == 0 { 0 } else { steps.div_ceil(*runs) }).collect();
        self.taken.clear();
        self.left.clear();
        let seed = self.seeds.next_u64();
        self.rng = SplitMix64::new(seed);
        Some(Schedule::new(seed))
    }

    fn next_task(&mut self, runnable: &[&Task], _current: Option<TaskId>, _is_yielding: bool) -> Option<TaskId> {
        for task in runnable {
            let id = usize::from(task.id());
            if self.left.get(id).is_none_or(|left| *left == 0) {
                self.arrive(id, task.parent_task_id().map(usize::from));
            }
        }
        let total: usize = runnable.iter().map(|task| self.left[usize::from(task.id())]).sum();
        let mut pick = self.rng.below(total);
        let chosen = runnable
            .iter()
            .map(|task| usize::from(task.id()))
            .find(|id| {
                let weight = self.left[*id];
                if pick < weight {
                    return true;
                }
                pick -= weight;
                false
            })
            .expect("the pick is below the total weight");
        self.left[chosen] = self.left[chosen].saturating_sub(1).max(1);
        if self.taken.len() <= chosen {
            self.taken.resize(chosen + 1, 0);
        }
        self.taken[chosen] += 1;
        Some(TaskId::from(chosen))
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_hands_its_childrens_steps_over_when_they_arrive() {
        let mut urw = Urw::new(1, 10);
        urw.estimates = vec![4, 10, 6];
        urw.parents = vec![None, Some(0), Some(0)];
        assert_eq!(urw.subtree(0), 20);
        urw.arrive(0, None);
        assert_eq!(urw.left, [20]);
        urw.arrive(1, Some(0));
        assert_eq!(urw.left, [10, 10]);
        urw.arrive(2, Some(0));
        assert_eq!(urw.left, [4, 10, 6]);
    }

    #[test]
    fn an_estimate_is_the_mean_of_the_executions_the_task_ran_in() {
        let mut urw = Urw::new(1, 10);
        urw.new_execution();
        urw.taken = vec![10, 0, 4];
        urw.new_execution();
        // Task 2 was not spawned this time: its estimate keeps to the execution it ran in.
        urw.taken = vec![13];
        urw.new_execution();
        assert_eq!(urw.estimates, [12, 0, 4]);
    }

    #[test]
    fn an_unseen_task_weighs_the_smallest_estimate() {
        let mut urw = Urw::new(1, 10);
        urw.estimates = vec![5, 3];
        urw.parents = vec![None, Some(0)];
        assert_eq!(urw.subtree(2), 3);
    }
}

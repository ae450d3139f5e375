//! The metrics of an execution, or of a whole exploration: how long the queues grew, how
//! many tasks ran at once, how long each task waited on the virtual clock.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What reports and summaries show of how a program used its queues, tasks and time.
/// Keys are names as reports show them (`mpsc::channel@src/lib.rs:12`, `#1 "worker"`):
/// the same in every execution, so the metrics of many executions fold into one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// The most tasks alive at once, the body included.
    pub most_tasks: usize,
    /// The most values each channel or `JoinSet` held at once.
    pub longest_queues: BTreeMap<String, usize>,
    /// Each task's longest wait (`Pending` or blocked until it went on), on the virtual
    /// clock, keyed by its id then its name.
    pub longest_waits: BTreeMap<usize, (String, Duration)>,
}

impl Metrics {
    /// Takes in the metrics of another execution: the longest and the most of both.
    pub(crate) fn absorb(&mut self, other: &Metrics) {
        self.most_tasks = self.most_tasks.max(other.most_tasks);
        for (queue, longest) in &other.longest_queues {
            let mine = self.longest_queues.entry(queue.clone()).or_default();
            *mine = (*mine).max(*longest);
        }
        for (id, (name, wait)) in &other.longest_waits {
            let mine = self.longest_waits.entry(*id).or_insert_with(|| (name.clone(), Duration::ZERO));
            mine.1 = mine.1.max(*wait);
        }
    }
}

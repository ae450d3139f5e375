//! The metrics of an execution, or of a whole exploration: how long the queues grew, how
//! many tasks ran at once, how long each task waited on the virtual clock.

use std::collections::BTreeMap;
use std::panic::Location;
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

/// The names of the queues whose metrics an exploration folds in, by the kind of primitive
/// and where it was made (what a queue's name says): each name is made once, not at every
/// execution (a name formats the path of the file it was made in).
#[derive(Debug, Default)]
pub(crate) struct QueueNames(Vec<(&'static str, &'static Location<'static>, String)>);

impl QueueNames {
    /// The name of the queue of `kind` made at `created_at`, made by `name` the first time.
    pub(crate) fn of(
        &mut self,
        kind: &'static str,
        created_at: &'static Location<'static>,
        name: impl FnOnce() -> String,
    ) -> &str {
        let known = self.0.iter().position(|(known_kind, known_at, _)| {
            *known_kind == kind && (std::ptr::eq(*known_at, created_at) || *known_at == created_at)
        });
        let index = known.unwrap_or_else(|| {
            self.0.push((kind, created_at, name()));
            self.0.len() - 1
        });
        &self.0[index].2
    }
}

#[cfg(test)]
mod tests {
    use super::QueueNames;

    #[test]
    fn a_queue_name_is_made_once_per_kind_and_place() {
        let mut names = QueueNames::default();
        let here = std::panic::Location::caller();
        let mut made = 0;
        let mut name = |kind: &'static str| {
            names
                .of(kind, here, || {
                    made += 1;
                    format!("{kind}@here")
                })
                .to_string()
        };
        assert_eq!(name("mpsc::channel"), "mpsc::channel@here");
        assert_eq!(name("mpsc::channel"), "mpsc::channel@here");
        assert_eq!(name("broadcast::channel"), "broadcast::channel@here");
        assert_eq!(made, 2);
    }
}

//! Deadlock: every task is blocked and nothing can wake any of them.
//!
//! The report says, for each blocked task, what it waits on and where, who holds that
//! primitive and where they took it; and, when the waits form a cycle, the cycle.

use super::{Failure, FailureKind, Moment, TaskRef};
use crate::model::paths;
use crate::model::tasks::{Hold, TaskId, Wait};
use crate::run::execution::ExecutionState;

/// Describes the deadlock of an execution whose every task is blocked.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    if !matches!(moment, Moment::Stuck) {
        return Vec::new();
    }
    vec![finding(state)]
}

/// The deadlock finding: each blocked task, what it waits on, who holds it, the cycle.
pub(crate) fn finding(state: &ExecutionState) -> Failure {
    let graph = WaitForGraph::of(state);
    let blocked: Vec<_> = state.tasks.alive().collect();
    let message = match blocked.len() {
        1 => "the only unfinished task is blocked and nothing can wake it".to_string(),
        n => format!("all {n} unfinished tasks are blocked and nothing can wake them"),
    };
    let mut failure = Failure::new(FailureKind::Deadlock, message);
    let cycle = graph.cycle();
    // The headline names the task at the heart of it: one on the cycle, or one whose
    // wakeup was lost, before one that merely waits for another.
    let lead = cycle
        .as_ref()
        .and_then(|cycle| cycle.first().map(|task| state.tasks.get(*task)))
        .or_else(|| blocked.iter().copied().find(|task| task.waiting.is_none()))
        .or_else(|| blocked.first().copied());
    if let Some(lead) = lead {
        failure = failure.in_task(TaskRef::of(lead));
        if let Some(wait) = &lead.waiting {
            failure = failure.at_location(wait.at);
        }
    }
    if let Some(cycle) = cycle {
        failure = failure.detail(format!("wait-for cycle: {}", graph.describe_cycle(state, &cycle)));
    }
    for task in blocked {
        let who = TaskRef::of(task);
        let line = match &task.waiting {
            Some(wait) => {
                let holders = graph.holders_of(task.id);
                let held = if holders.is_empty() {
                    String::new()
                } else {
                    let names: Vec<_> = holders
                        .iter()
                        .map(|hold| {
                            format!(
                                "{} (acquired at {})",
                                TaskRef::of(state.tasks.get(hold.task)),
                                paths::location(hold.at)
                            )
                        })
                        .collect();
                    format!("; held by {}", names.join(", "))
                };
                format!("{who} is blocked in {}{held}", wait.describe())
            }
            None => format!(
                "{who} is pending in a future that is not a racewright primitive and kept no waker: a lost wakeup"
            ),
        };
        failure = failure.detail(line);
    }
    failure
}

/// Which task waits for which: an edge from a blocked task to each holder of the
/// primitive it waits on.
/// A task asked for a lock it already holds (since `held_at`), and waits for itself.
pub(crate) fn relocked(
    state: &ExecutionState,
    task: TaskId,
    wait: &Wait,
    held_at: &'static std::panic::Location<'static>,
) -> Failure {
    let who = TaskRef::of(state.tasks.get(task));
    let kind = wait.resource.map_or("lock", |resource| resource.kind);
    Failure::new(
        FailureKind::Deadlock,
        format!("task {who} re-locked a {kind} it already holds, and waits for itself forever"),
    )
    .at_location(wait.at)
    .in_task(who.clone())
    .detail(format!("{who} is blocked in {}", wait.describe()))
    .detail(format!("{who} holds it since {}", paths::location(held_at)))
}

struct WaitForGraph {
    /// For each blocked task, the holdings of what it waits on.
    waits: Vec<(TaskId, Vec<Hold>)>,
}

impl WaitForGraph {
    fn of(state: &ExecutionState) -> WaitForGraph {
        let waits = state
            .tasks
            .alive()
            .filter_map(|task| {
                let resource = task.waiting.as_ref()?.resource?;
                let holders: Vec<Hold> =
                    state.holds.iter().filter(|hold| hold.resource.same(&resource)).copied().collect();
                Some((task.id, holders))
            })
            .collect();
        WaitForGraph { waits }
    }

    fn holders_of(&self, task: TaskId) -> &[Hold] {
        self.waits.iter().find(|(waiter, _)| *waiter == task).map(|(_, holders)| holders.as_slice()).unwrap_or(&[])
    }

    /// The first cycle found, as the tasks along it, in order.
    fn cycle(&self) -> Option<Vec<TaskId>> {
        for (start, _) in &self.waits {
            let mut path = vec![*start];
            if let Some(cycle) = self.walk(&mut path) {
                return Some(cycle);
            }
        }
        None
    }

    fn walk(&self, path: &mut Vec<TaskId>) -> Option<Vec<TaskId>> {
        let last = *path.last()?;
        for hold in self.holders_of(last) {
            if let Some(position) = path.iter().position(|task| *task == hold.task) {
                return Some(path[position..].to_vec());
            }
            path.push(hold.task);
            if let Some(cycle) = self.walk(path) {
                return Some(cycle);
            }
            path.pop();
        }
        None
    }

    /// `#0 "main" waits for Mutex@src/bank.rs:12 held by #1 "worker", which waits for ...`.
    fn describe_cycle(&self, state: &ExecutionState, cycle: &[TaskId]) -> String {
        let mut text = String::new();
        for (index, task) in cycle.iter().enumerate() {
            let next = cycle[(index + 1) % cycle.len()];
            let resource = state.tasks.get(*task).waiting.as_ref().and_then(|wait| wait.resource);
            let on = resource.map(|resource| resource.to_string()).unwrap_or_else(|| "?".into());
            let who = TaskRef::of(state.tasks.get(*task));
            let holder = TaskRef::of(state.tasks.get(next));
            if index == 0 {
                text.push_str(&format!("{who} waits for {on} held by {holder}"));
            } else {
                text.push_str(&format!(", which waits for {on} held by {holder}"));
            }
        }
        text
    }
}

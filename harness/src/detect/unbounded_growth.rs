//! Unbounded growth: a queue that nothing bounds grew past `max_queue` within one
//! execution (an unbounded channel, a `JoinSet`, the set of live tasks). The program has
//! no backpressure: in production, a producer faster than its consumer grows it until
//! memory runs out.

use std::collections::BTreeMap;

use super::{Failure, FailureKind, Growth, Moment, TaskRef};
use crate::model::paths;
use crate::run::execution::ExecutionState;
use crate::run::queues::Producer;

/// The queue of `moment` that grew past its bound.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    let max = state.settings.max_queue;
    match moment {
        Moment::Grew(Growth::Queue(resource)) => {
            let Some(queue) = state.queues.queues.iter().find(|queue| queue.resource.same(resource)) else {
                return Vec::new();
            };
            if !queue.unbounded || queue.len <= max {
                return Vec::new();
            }
            let failure = Failure::new(
                FailureKind::UnboundedGrowth,
                format!(
                    "{} grew to {} values, past max_queue = {max}: nothing holds its producers back",
                    resource, queue.len
                ),
            );
            vec![described(state, failure, &queue.producers, "fed")]
        }
        Moment::Grew(Growth::Tasks) => {
            let alive = state.tasks.alive().filter(|task| task.spawned_at.is_some()).count();
            if alive <= max {
                return Vec::new();
            }
            let failure = Failure::new(
                FailureKind::UnboundedGrowth,
                format!(
                    "{alive} spawned tasks were alive at once, past max_queue = {max}: nothing bounds how many are \
                     spawned"
                ),
            );
            // Who spawned the live tasks, and where.
            let mut spawners: BTreeMap<String, usize> = BTreeMap::new();
            for task in state.tasks.alive() {
                if let Some(at) = task.spawned_at {
                    *spawners.entry(paths::location(at)).or_default() += 1;
                }
            }
            let mut failure = failure.in_task(TaskRef::of(state.tasks.get(state.current_task())));
            for (at, count) in spawners {
                failure = failure.detail(format!("{count} of them spawned at {at}"));
            }
            vec![failure.detail(
                "bound the work in flight: a `Semaphore` whose permit each task holds, or a bounded channel in front \
                 of a fixed pool of workers"
                    .to_string(),
            )]
        }
        _ => Vec::new(),
    }
}

/// The finding with its producers, the busiest first, and the advice.
fn described(state: &ExecutionState, mut failure: Failure, producers: &[Producer], verb: &str) -> Failure {
    let mut producers = producers.to_vec();
    producers.sort_by_key(|producer| std::cmp::Reverse(producer.count));
    if let Some(first) = producers.first() {
        failure = failure.at_location(first.at).in_task(TaskRef::of(state.tasks.get(first.task)));
    }
    for producer in producers {
        failure = failure.detail(format!(
            "{verb} {} times by {} at {}",
            producer.count,
            TaskRef::of(state.tasks.get(producer.task)),
            paths::location(producer.at)
        ));
    }
    failure.detail(
        "give it a bound (a bounded `mpsc::channel`, a `Semaphore` around the spawns) so that producers wait for \
         the consumer, or raise max_queue if this size is expected"
            .to_string(),
    )
}

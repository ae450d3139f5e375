//! `Barrier`: tasks wait until `n` of them have arrived, with tokio's API.

use std::fmt;
use std::future::Future;
use std::panic::Location;

use super::notify::Notify;
use crate::engine::{self, Resource, StateLock};

/// Makes `n` tasks wait for each other, as `tokio::sync::Barrier`: each [`wait`] returns
/// once `n` tasks have called it; the last to arrive is the leader. It can then be used
/// again by the next `n`.
///
/// A deadlock report names the barrier a task waits at when too few tasks arrive.
///
/// [`wait`]: Barrier::wait
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::Barrier;
/// use std::sync::Arc;
///
/// let barrier = Arc::new(Barrier::new(2));
/// let other = racewright::spawn({
///     let barrier = barrier.clone();
///     async move { barrier.wait().await.is_leader() }
/// });
/// let leader_here = barrier.wait().await.is_leader();
/// assert_ne!(leader_here, other.await.unwrap(), "exactly one leader");
/// # });
/// ```
pub struct Barrier {
    state: StateLock<State>,
    /// Wakes the waiting tasks when the last of a generation arrives.
    released: Notify,
    n: usize,
    resource: Resource,
}

#[derive(Debug)]
struct State {
    arrived: usize,
    /// Counts the generations released so far.
    generation: u64,
}

impl Barrier {
    /// A barrier for `n` tasks (0 counts as 1, as tokio's).
    #[track_caller]
    pub fn new(n: usize) -> Barrier {
        let resource = Resource::new("Barrier", Location::caller());
        Barrier {
            state: StateLock::new(State { arrived: 0, generation: 0 }),
            released: Notify::for_resource(resource),
            n: n.max(1),
            resource,
        }
    }

    /// Arrives, then waits until `n` tasks have arrived; the last one is the leader.
    ///
    /// Not cancel safe, as tokio's: a dropped `wait` still counts as arrived.
    #[track_caller]
    pub fn wait(&self) -> impl Future<Output = BarrierWaitResult> + '_ {
        let at = Location::caller();
        async move {
            engine::point().await;
            let generation = {
                let mut state = self.state.lock();
                state.arrived += 1;
                if state.arrived == self.n {
                    state.arrived = 0;
                    state.generation += 1;
                    None
                } else {
                    Some(state.generation)
                }
            };
            let Some(generation) = generation else {
                engine::record_with("Barrier::wait", at, || format!("leader, released {}", self.n));
                self.released.wake_waiters();
                return BarrierWaitResult(true);
            };
            engine::record_with("Barrier::wait", at, || "arrived".into());
            loop {
                // Registered before the check, so that a release in between is seen.
                let released = self.released.waiter("Barrier::wait", at);
                if self.state.lock().generation > generation {
                    break;
                }
                released.await;
            }
            engine::record_with("Barrier::wait", at, || "released".into());
            BarrierWaitResult(false)
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).field("resource", &self.resource.kind).finish_non_exhaustive()
    }
}

/// What [`Barrier::wait`] returns: whether this task was the leader of its generation.
#[derive(Debug, Clone)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task arrived last, releasing the others.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio_test::{assert_pending, assert_ready, task};

    use super::Barrier;
    use crate::{FailureKind, Scenario};

    // After tokio's `tests/sync_barrier.rs`: one task alone passes a barrier of one, and a
    // barrier of two holds the first until the second comes, twice over.
    #[test]
    fn the_last_to_arrive_leads_and_releases_the_others_each_generation() {
        let single = Barrier::new(0);
        assert!(assert_ready!(task::spawn(single.wait()).poll()).is_leader());
        let pair = Barrier::new(2);
        for _ in 0..2 {
            let mut first = task::spawn(pair.wait());
            assert_pending!(first.poll());
            let mut second = task::spawn(pair.wait());
            assert!(assert_ready!(second.poll()).is_leader());
            assert!(first.is_woken());
            assert!(!assert_ready!(first.poll()).is_leader());
        }
    }

    #[test]
    fn nobody_passes_before_everyone_arrived() {
        crate::check(|| async {
            let barrier = Arc::new(Barrier::new(3));
            let arrived = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let (barrier, arrived) = (barrier.clone(), arrived.clone());
                    crate::spawn(async move {
                        arrived.fetch_add(1, Ordering::SeqCst);
                        let leader = barrier.wait().await.is_leader();
                        assert_eq!(arrived.load(Ordering::SeqCst), 3);
                        leader
                    })
                })
                .collect();
            let mut leaders = 0;
            for task in tasks {
                leaders += usize::from(task.await.unwrap());
            }
            assert_eq!(leaders, 1);
        });
    }

    #[test]
    fn a_barrier_that_never_fills_is_a_deadlock_that_names_it() {
        let report = Scenario::new("barrier::never_fills").iterations(20).run(|| async {
            let barrier = Arc::new(Barrier::new(3));
            let other = crate::spawn({
                let barrier = barrier.clone();
                async move { barrier.wait().await }
            });
            barrier.wait().await;
            other.await.unwrap();
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
        assert!(report.to_string().contains("is blocked in Barrier::wait on Barrier@"), "{report}");
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let barrier = Arc::new(Barrier::new(2));
        let other = tokio::spawn({
            let barrier = barrier.clone();
            async move { barrier.wait().await.is_leader() }
        });
        let here = barrier.wait().await.is_leader();
        assert_ne!(here, other.await.unwrap());
    }
}

//! The random strategy: a uniformly random runnable task at every step.
//!
//! Shuttle's `RandomScheduler` prints its seed to stderr when dropped early and
//! reads `SHUTTLE_RANDOM_SEED`; racewright reports seeds itself, so it has its own.

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): tiny, and the same sequence on every platform.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `bound` (> 0), without modulo bias worth caring about here.
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }
}

pub(crate) struct RandomWalk {
    /// Seeds each execution, so execution `i` is the same whatever ran before it.
    seeds: SplitMix64,
    /// Drives the choices of the current execution.
    rng: SplitMix64,
    /// Executions left to start.
    remaining: usize,
}

impl RandomWalk {
    pub(crate) fn new(seed: u64, iterations: usize) -> Self {
        RandomWalk { seeds: SplitMix64::new(seed), rng: SplitMix64::new(seed), remaining: iterations }
    }
}

impl Scheduler for RandomWalk {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.remaining = self.remaining.checked_sub(1)?;
        let seed = self.seeds.next_u64();
        self.rng = SplitMix64::new(seed);
        Some(Schedule::new(seed))
    }

    fn next_task(&mut self, runnable: &[&Task], _current: Option<TaskId>, _is_yielding: bool) -> Option<TaskId> {
        Some(runnable[self.rng.below(runnable.len())].id())
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

//! The portfolio strategy: several schedulers take turns, one execution each.
//!
//! No single strategy wins everywhere (BENCHMARKS.md): random walks find short windows
//! fast; PCT the bugs that need a task preempted at one precise point (two-stage races);
//! URW the lock-order and work-stealing bugs, where a random walk lets the early tasks
//! finish before the late ones start; POS the runs where one task must get far ahead.
//! Taking turns gives each member an equal share of the budget, so no member's blind spot
//! survives, on one core and deterministically for a given seed.

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use super::pct::Pct;
use super::pos::Pos;
use super::random::RandomWalk;
use super::urw::Urw;

pub(crate) struct Portfolio {
    /// Never empty; each member is built for the whole budget, so none runs out first.
    members: Vec<Box<dyn Scheduler>>,
    /// The member that runs the current execution.
    turn: usize,
}

impl Portfolio {
    pub(crate) fn new(seed: u64, iterations: usize) -> Self {
        let members: Vec<Box<dyn Scheduler>> = vec![
            Box::new(RandomWalk::new(seed, iterations)),
            Box::new(Pct::new(seed.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15, 3, iterations)),
            Box::new(Urw::new(seed.rotate_left(31) ^ 0x6a09_e667_f3bc_c909, iterations)),
            Box::new(Pos::new(seed.rotate_left(47) ^ 0xbb67_ae85_84ca_a73b, iterations)),
        ];
        Portfolio { members, turn: usize::MAX }
    }
}

impl Scheduler for Portfolio {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.turn = self.turn.wrapping_add(1) % self.members.len();
        self.members[self.turn].new_execution()
    }

    fn next_task(&mut self, runnable: &[&Task], current: Option<TaskId>, is_yielding: bool) -> Option<TaskId> {
        self.members[self.turn].next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.members[self.turn].next_u64()
    }
}

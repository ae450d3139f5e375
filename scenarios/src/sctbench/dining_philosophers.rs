//! SCTBench's `inspect_examples/philosopher.c`: dining philosophers whose forks are a
//! mutex and a condition variable each.

use std::sync::Arc;

use super::{Condition, Lock, Platform};
use crate::Variant;

/// Philosophers at the table, and forks: many, so that the deadlock needs every one of
/// them to be caught holding one fork.
pub const PHILOSOPHERS: usize = 13;

/// A fork: taken with `get`, given back with `put_down`, as the original's `fork_t`.
struct Fork<P: Platform> {
    state: P::Mutex<ForkState>,
    free: P::Condvar,
}

#[derive(Default)]
struct ForkState {
    being_used: bool,
    waiting: usize,
}

impl<P: Platform> Fork<P> {
    fn new() -> Self {
        Fork { state: P::Mutex::new(ForkState::default()), free: P::Condvar::new() }
    }

    /// `fork_get`: waits on the condition variable while another philosopher holds it.
    fn get(&self) {
        let mut state = self.state.lock();
        if state.being_used {
            state.waiting += 1;
            while state.being_used {
                state = self.free.wait(state);
            }
            state.waiting -= 1;
        }
        state.being_used = true;
    }

    /// `fork_putdown`.
    fn put_down(&self) {
        let mut state = self.state.lock();
        state.being_used = false;
        if state.waiting > 0 {
            self.free.notify_one();
        }
    }
}

/// `PHILOSOPHERS` philosophers sit at a round table with a fork between each two; each
/// takes both of its forks, eats once, and puts them down.
///
/// Buggy: every philosopher takes the fork on their left first. When each has taken
/// that one, each waits for the fork on their right, which their neighbour holds: a
/// deadlock, which needs all of them to be caught between their two forks.
///
/// Fixed: as in the original, odd philosophers start with the left fork and even ones
/// with the right, so two neighbours compete for their first fork and the wait cycle
/// can never close.
pub async fn program<P: Platform>(variant: Variant) {
    let forks: Arc<Vec<Fork<P>>> = Arc::new((0..PHILOSOPHERS).map(|_| Fork::new()).collect());
    let mut philosophers = Vec::new();
    for id in 0..PHILOSOPHERS {
        let forks = forks.clone();
        philosophers.push(P::spawn(async move {
            let (left, right) = (&forks[id], &forks[(id + 1) % PHILOSOPHERS]);
            let left_first = variant == Variant::Buggy || id % 2 == 1;
            let (first, second) = if left_first { (left, right) } else { (right, left) };
            first.get();
            second.get();
            // Eat.
            left.put_down();
            right.put_down();
        }));
    }
    for philosopher in philosophers {
        philosopher.await;
    }
}

//! SCTBench's `twostage_bad.c` (from the ESBMC concurrency benchmarks): a two-stage
//! update whose stages are locked one at a time.

use std::sync::Arc;

use super::{Atomic, Lock, Platform};
use crate::Variant;

/// Tasks that run the two-stage update (the original's `iTThreads`).
pub const WRITERS: usize = 6;
/// Tasks that read both stages (the original's `iRThreads`).
pub const READERS: usize = 1;

/// Two values, each guarded by its own lock: writers set `first = 1`, then
/// `second = first + 1`; a reader that sees `first` set reads `second` and asserts that
/// it is `first + 1`.
///
/// Buggy: each stage releases its lock before the next is taken, so a reader that runs
/// between a writer's two stages sees `first = 1` and `second = 0`.
///
/// Fixed: writers and readers hold the first lock across both stages.
pub async fn program<P: Platform>(variant: Variant) {
    let shared = Arc::new(Shared::<P> {
        first_lock: P::Mutex::new(()),
        second_lock: P::Mutex::new(()),
        first: P::Atomic::new(0),
        second: P::Atomic::new(0),
    });
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let shared = shared.clone();
        tasks.push(P::spawn(async move { shared.write(variant) }));
    }
    for _ in 0..READERS {
        let shared = shared.clone();
        tasks.push(P::spawn(async move { shared.read(variant) }));
    }
    for task in tasks {
        task.await;
    }
}

struct Shared<P: Platform> {
    first_lock: P::Mutex<()>,
    second_lock: P::Mutex<()>,
    /// Guarded by `first_lock`.
    first: P::Atomic,
    /// Guarded by `second_lock`.
    second: P::Atomic,
}

impl<P: Platform> Shared<P> {
    /// The original's `funcA`.
    fn write(&self, variant: Variant) {
        let first_held = self.first_lock.lock();
        self.first.store(1);
        // Buggy, the first lock is released here, between the stages.
        let first_held = (variant == Variant::Fixed).then_some(first_held);
        let second_held = self.second_lock.lock();
        self.second.store(self.first.load() + 1);
        drop(second_held);
        drop(first_held);
    }

    /// The original's `funcB`.
    fn read(&self, variant: Variant) {
        let first_held = self.first_lock.lock();
        if self.first.load() == 0 {
            return;
        }
        let first = self.first.load();
        // Buggy, the first lock is released here, between the stages.
        let first_held = (variant == Variant::Fixed).then_some(first_held);
        let second_held = self.second_lock.lock();
        let second = self.second.load();
        drop(second_held);
        drop(first_held);
        assert_eq!(second, first + 1, "the reader saw the first stage without the second");
    }
}

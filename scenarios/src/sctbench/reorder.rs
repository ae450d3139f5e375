//! SCTBench's `reorder_5_bad.c` (from the ESBMC concurrency benchmarks): a checker sees
//! a half-done pair of writes.

use std::sync::Arc;

use super::{Atomic, Lock, Platform};
use crate::Variant;

/// Tasks that set the pair `(a, b)` from `(0, 0)` to `(1, -1)`, in the original's numbers.
pub const SETTERS: usize = 4;
/// Tasks that check the pair.
pub const CHECKERS: usize = 1;

/// `SETTERS` tasks each write `a = 1` then `b = -1`; `CHECKERS` tasks read `a` then `b`
/// and assert that they saw `(0, 0)` or `(1, -1)`.
///
/// Buggy: the writes and the reads are separate steps, so a checker that reads between
/// a setter's two writes sees `(1, 0)`, or one whose two reads straddle a setter's pair
/// sees `(0, -1)`.
///
/// Fixed: setters and checkers take one mutex around their pair of accesses.
pub async fn program<P: Platform>(variant: Variant) {
    let pair = Arc::new((P::Atomic::new(0), P::Atomic::new(0)));
    let lock = Arc::new(P::Mutex::<()>::new(()));
    let mut tasks = Vec::new();
    for _ in 0..SETTERS {
        let (pair, lock) = (pair.clone(), lock.clone());
        tasks.push(P::spawn(async move {
            let _held = (variant == Variant::Fixed).then(|| lock.lock());
            pair.0.store(1);
            pair.1.store(-1);
        }));
    }
    for _ in 0..CHECKERS {
        let (pair, lock) = (pair.clone(), lock.clone());
        tasks.push(P::spawn(async move {
            let _held = (variant == Variant::Fixed).then(|| lock.lock());
            let (a, b) = (pair.0.load(), pair.1.load());
            assert!((a, b) == (0, 0) || (a, b) == (1, -1), "the checker saw a half-done pair: ({a}, {b})");
        }));
    }
    for task in tasks {
        task.await;
    }
}

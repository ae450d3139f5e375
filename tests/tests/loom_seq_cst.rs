//! `SeqCst` on the loom engine: the outcomes no sequentially consistent execution has are
//! never reported (loom alone models `SeqCst` accesses as `AcqRel`, and lets a store land
//! inside a concurrent swap), and the weaker orderings still show their bugs.

use racewright::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Two tasks each store to one flag with `store` and then load the other's with `load`:
/// what each load read.
async fn store_buffering(store: Ordering, load: Ordering) -> (usize, usize) {
    let x = Arc::new(AtomicUsize::new(0));
    let y = Arc::new(AtomicUsize::new(0));
    let other = racewright::spawn({
        let (x, y) = (x.clone(), y.clone());
        async move {
            y.store(1, store);
            x.load(load)
        }
    });
    x.store(1, store);
    let seen_by_body = y.load(load);
    (seen_by_body, other.await.unwrap())
}

/// Under `SeqCst` one of the two stores comes first, and the other task's load sees it.
#[racewright::test(engine = "loom")]
async fn seq_cst_store_buffering_never_reads_both_old_values() {
    assert_ne!(store_buffering(Ordering::SeqCst, Ordering::SeqCst).await, (0, 0));
}

/// With `Release` and `Acquire` nothing orders the two stores: both loads may read 0.
#[racewright::test(engine = "loom", expect = "panic")]
async fn release_acquire_store_buffering_reads_both_old_values() {
    assert_ne!(store_buffering(Ordering::Release, Ordering::Acquire).await, (0, 0));
}

/// A store cannot land between the read and the write of a concurrent swap: either the
/// swap reads it, or the store overwrites the swap's value.
#[racewright::test(engine = "loom")]
async fn a_seq_cst_store_is_never_lost_inside_a_swap() {
    let flag = Arc::new(AtomicBool::new(false));
    let swapper = racewright::spawn({
        let flag = flag.clone();
        async move { flag.swap(false, Ordering::SeqCst) }
    });
    flag.store(true, Ordering::SeqCst);
    let swapped_true = swapper.await.unwrap();
    assert!(swapped_true || flag.load(Ordering::SeqCst));
}

/// Three `SeqCst` accesses in a row in each task: every pair of them is ordered, not only
/// the first two.
#[racewright::test(engine = "loom")]
async fn seq_cst_orders_every_access_of_a_task() {
    let x = Arc::new(AtomicUsize::new(0));
    let y = Arc::new(AtomicUsize::new(0));
    let other = racewright::spawn({
        let (x, y) = (x.clone(), y.clone());
        async move {
            x.store(1, Ordering::SeqCst);
            y.store(1, Ordering::SeqCst);
            x.load(Ordering::SeqCst)
        }
    });
    y.store(2, Ordering::SeqCst);
    let seen_x = x.load(Ordering::SeqCst);
    let other_saw_x = other.await.unwrap();
    // If the body's store to `y` came last, the other task's store to `x` came before the
    // body's load of `x`.
    if y.load(Ordering::SeqCst) == 2 {
        assert_eq!(seen_x, 1);
    }
    assert_eq!(other_saw_x, 1);
}

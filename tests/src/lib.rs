//! Integration tests of the whole harness live in `tests/`; what several of them explore
//! lives here.

use std::sync::Arc;

use racewright::sync::atomic::{AtomicUsize, Ordering};

/// The classic lost update without any yield: only preemptions can break it.
pub async fn racy_increments() {
    assert_eq!(two_increments().await, 2);
}

/// Two tasks each add one to a counter, loading and storing apart; the counter's final
/// value (1 when an update was lost).
pub async fn two_increments() -> usize {
    let counter = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let counter = counter.clone();
            racewright::spawn(async move {
                let read = counter.load(Ordering::SeqCst);
                counter.store(read + 1, Ordering::SeqCst);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    counter.load(Ordering::SeqCst)
}

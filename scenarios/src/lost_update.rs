//! Lost update across an await.

use std::sync::Arc;

use racewright::sync::Mutex;

use crate::Variant;

/// Two tasks increment a shared counter.
///
/// Buggy: each task reads the counter under the lock, releases it, awaits, and writes
/// back `read + 1` under a new lock. When both read before either writes back
/// (task 1 reads 0, task 2 reads 0, task 1 writes 1, task 2 writes 1), one increment
/// is lost and the final assertion fails.
///
/// Fixed: the guard is held across the await, so read and write are one critical section.
pub async fn scenario(variant: Variant) {
    let counter = Arc::new(Mutex::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let counter = counter.clone();
            racewright::spawn(async move {
                match variant {
                    Variant::Buggy => {
                        let read = *counter.lock().await;
                        racewright::task::yield_now().await;
                        *counter.lock().await = read + 1;
                    }
                    Variant::Fixed => {
                        let mut guard = counter.lock().await;
                        racewright::task::yield_now().await;
                        *guard += 1;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*counter.lock().await, 2, "an increment was lost");
}

//! Swallowed error: a retry loop gives up on a busy resource, logs, and carries on.

use std::sync::Arc;

use racewright::sync::Mutex;
use racewright::task::yield_now;

use crate::Variant;

/// How many times the buggy flush tries the store before giving up.
const ATTEMPTS: u32 = 3;

/// A flusher writes pending entries to a store that a compactor locks now and then.
///
/// Buggy: the flusher tries the store's lock with `try_lock` a few times in a row, without
/// waiting in between, and when all attempts find it busy it logs an ERROR, drops the
/// entries and returns as if the flush was done. That happens only when the compactor
/// holds the lock across all the attempts (it takes it, then is suspended at an await
/// while the flusher tries); on the other schedules the flush lands. Nothing in the test
/// checks the store, as nothing would in production: the logged error is the only trace
/// of the lost entries, and racewright turns it into a failure.
///
/// Fixed: the flusher backs off with `yield_now` while the store is busy, which lets the
/// compactor finish and release it, and retries until it succeeds; a busy store is only
/// worth a warning.
pub async fn scenario(variant: Variant) {
    let store = Arc::new(Mutex::new(vec![1, 2, 3]));
    let compactor = racewright::task::Builder::new()
        .name("compactor")
        .spawn({
            let store = store.clone();
            async move {
                let mut entries = store.lock().await;
                // Compacting: suspended while holding the lock.
                yield_now().await;
                entries.dedup();
            }
        })
        .unwrap();
    let flusher = racewright::task::Builder::new()
        .name("flusher")
        .spawn({
            let store = store.clone();
            async move { flush(&store, vec![4, 5], variant).await }
        })
        .unwrap();
    compactor.await.unwrap();
    flusher.await.unwrap();
}

/// Appends `pending` to the store, retrying while the store is busy.
async fn flush(store: &Mutex<Vec<u32>>, pending: Vec<u32>, variant: Variant) {
    let mut attempt = 1;
    loop {
        match store.try_lock() {
            Ok(mut entries) => {
                entries.extend(pending);
                return;
            }
            Err(_) => match variant {
                Variant::Buggy if attempt == ATTEMPTS => {
                    tracing::error!(attempt, lost = pending.len(), "store busy, giving up on the flush");
                    return;
                }
                Variant::Buggy => {}
                Variant::Fixed => {
                    tracing::warn!(attempt, "store busy, retrying the flush");
                    yield_now().await;
                }
            },
        }
        attempt += 1;
    }
}

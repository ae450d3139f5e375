//! ABBA deadlock across a `Mutex` and a `Semaphore`.

use std::sync::Arc;

use racewright::sync::{Mutex, Semaphore};
use racewright::task::yield_now;

use crate::Variant;

/// A database pool (a semaphore with one connection permit) and a statistics table
/// behind a mutex.
///
/// Buggy: a query task takes a connection, then locks the statistics to count itself;
/// the body, reporting, locks the statistics, then takes a connection to store them. If
/// the query holds the permit and the body holds the lock at the same time (each is
/// suspended between its two acquisitions), each waits for what the other holds,
/// forever. A permit is a lock too: the wait-for cycle goes through the semaphore.
///
/// Fixed: one global order: the report takes the connection first, then the statistics
/// lock, as the query does.
pub async fn scenario(variant: Variant) {
    let pool = Arc::new(Semaphore::new(1));
    let stats = Arc::new(Mutex::new(Stats::default()));
    let query = racewright::task::Builder::new()
        .name("query")
        .spawn({
            let (pool, stats) = (pool.clone(), stats.clone());
            async move {
                let _connection = pool.acquire().await.unwrap();
                yield_now().await;
                stats.lock().await.queries += 1;
            }
        })
        .unwrap();
    match variant {
        Variant::Buggy => {
            let mut stats = stats.lock().await;
            yield_now().await;
            let _connection = pool.acquire().await.unwrap();
            stats.reports += 1;
        }
        Variant::Fixed => {
            let _connection = pool.acquire().await.unwrap();
            yield_now().await;
            stats.lock().await.reports += 1;
        }
    }
    query.await.unwrap();
    let stats = stats.lock().await;
    assert_eq!((stats.queries, stats.reports), (1, 1));
}

/// What the statistics table counts.
#[derive(Default)]
struct Stats {
    queries: u32,
    reports: u32,
}

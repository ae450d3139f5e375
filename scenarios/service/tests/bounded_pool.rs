//! The bounded pool, explored through the tokio switch: its check-in calls `notify_one`
//! under its `parking_lot` lock, and exploring it never hangs; the planted over-opening is
//! found, and the pool as written passes.

use racewright_service::BoundedPool;

/// Three clients share a pool of at most two connections.
async fn three_clients_share_two_connections(pool: BoundedPool) {
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let connection = pool.get().await;
                assert!(connection.id >= 1);
                tokio::task::yield_now().await;
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    assert!(pool.most_open() <= 2, "the pool opened {} connections, its bound is 2", pool.most_open());
}

#[racewright::test(expect = "panic", snapshot)]
async fn the_planted_over_opening_is_found() {
    three_clients_share_two_connections(BoundedPool::with_unreserved_open(2)).await;
}

#[racewright::test]
async fn the_pool_never_opens_more_than_its_bound() {
    three_clients_share_two_connections(BoundedPool::new(2)).await;
}

#[racewright::test]
async fn a_returned_connection_goes_to_a_waiter_under_the_pools_lock() {
    let pool = BoundedPool::new(1);
    let first = pool.get().await;
    let waiter = tokio::spawn({
        let pool = pool.clone();
        async move { pool.get().await.id }
    });
    tokio::task::yield_now().await;
    // The check-in notifies under the pool's lock, while the waiter may be about to take it.
    drop(first);
    assert_eq!(waiter.await.unwrap(), 1);
    assert_eq!(pool.idle(), 1);
}

/// A plain tokio test of the same crate runs on a real tokio runtime, as before.
#[tokio::test]
async fn a_plain_tokio_test_still_runs_on_tokio() {
    let pool = BoundedPool::new(1);
    assert_eq!(pool.get().await.id, 1);
    assert_eq!(pool.idle(), 1);
}

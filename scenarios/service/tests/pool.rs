//! The pool, explored by racewright through the tokio switch: the planted lost wakeup is
//! found, the pool as written passes, and plain `#[tokio::test]`s still run on tokio.

use racewright_service::Pool;
use tokio::time::Duration;

/// Three clients share one connection: each checks it out, uses it, and gives it back.
async fn three_clients_share_one_connection(pool: Pool<&'static str>) {
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let connection = pool.get().await;
                assert_eq!(*connection, "db");
                tokio::task::yield_now().await;
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    assert_eq!(pool.idle(), 1);
}

#[racewright::test(expect = "deadlock", snapshot)]
async fn the_planted_lost_wakeup_is_found() {
    three_clients_share_one_connection(Pool::with_lost_wakeup_bug(["db"])).await;
}

#[racewright::test]
async fn the_pool_hands_its_connection_to_every_client() {
    three_clients_share_one_connection(Pool::new(["db"])).await;
}

#[racewright::test]
async fn a_client_that_waits_too_long_gives_up_and_the_connection_stays() {
    let pool = Pool::new(["db"]);
    let held = pool.get().await;
    let waiter = tokio::spawn({
        let pool = pool.clone();
        async move { pool.get_timeout(Duration::from_secs(1)).await.is_err() }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(held);
    assert!(waiter.await.unwrap(), "the waiter timed out");
    assert_eq!(pool.idle(), 1);
}

/// A plain tokio test of the same crate runs on a real tokio runtime, as before.
#[tokio::test]
async fn a_plain_tokio_test_still_runs_on_tokio() {
    let pool = Pool::new(["db"]);
    let connection = pool.get().await;
    assert_eq!(*connection, "db");
    assert!(tokio::runtime::Handle::try_current().is_ok());
}

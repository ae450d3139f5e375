//! The rate limiter, explored through the tokio switch: its tasks poll the refill's
//! `Sleep` under its `std::sync::Mutex`, and exploring it never hangs; the planted lost
//! wakeup is found, and the limiter as written passes.

use std::sync::Arc;

use racewright_service::Limiter;
use tokio::time::{Duration, Instant};

/// Three tasks take a token each from a limiter of one per second.
async fn three_tasks_take_a_token_each(limiter: Limiter) {
    let limiter = Arc::new(limiter);
    let start = Instant::now();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire().await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    // One token at once, then one per second.
    assert!(start.elapsed() >= Duration::from_secs(2));
}

#[racewright::test(expect = "deadlock", snapshot)]
async fn the_planted_lost_wakeup_is_found() {
    three_tasks_take_a_token_each(Limiter::with_one_waker(1, Duration::from_secs(1))).await;
}

#[racewright::test]
async fn the_limiter_lets_every_task_through_in_time() {
    three_tasks_take_a_token_each(Limiter::new(1, Duration::from_secs(1))).await;
}

/// A plain tokio test of the same crate runs on a real tokio runtime, as before.
#[tokio::test(start_paused = true)]
async fn a_plain_tokio_test_still_runs_on_tokio() {
    let limiter = Limiter::new(1, Duration::from_secs(1));
    limiter.acquire().await;
    limiter.acquire().await;
}

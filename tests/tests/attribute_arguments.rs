//! Each argument of `#[racewright::test]` reaches the exploration: a test per argument
//! that passes only if the argument took effect.

use racewright::sync::oneshot;

/// 100 yields take more than 50 steps: a step limit only if `max_steps` took effect.
#[racewright::test(max_steps = 50, expect = "step_limit", iterations = 3)]
async fn max_steps_and_expect_step_limit() {
    for _ in 0..100 {
        racewright::task::yield_now().await;
    }
}

/// A task blocked forever is a leak, unless `leaks = "allow"`.
#[racewright::test(leaks = "allow", iterations = 3)]
async fn leaks_allow() {
    let (keep, never) = oneshot::channel::<()>();
    let _detached = racewright::spawn(async move {
        let _ = never.await;
    });
    std::mem::forget(keep);
}

/// A panic nobody awaits is a finding, unless `unhandled_panics = "allow"`.
#[racewright::test(unhandled_panics = "allow", iterations = 3)]
async fn unhandled_panics_allow() {
    let task = racewright::spawn(async { panic!("nobody looks") });
    drop(task);
    racewright::task::yield_now().await;
}

/// An ERROR event is a finding, unless `error_events = "allow"`.
#[racewright::test(error_events = "allow", iterations = 3)]
async fn error_events_allow() {
    tracing::error!("logged, and allowed");
}

/// The strategy, its depth and the seed are those of the verdict line, pinned.
#[racewright::test(strategy = "pct", depth = 2, seed = 7, iterations = 20, snapshot)]
async fn strategy_depth_and_seed() {
    let task = racewright::spawn(async { 1 });
    assert_eq!(task.await.unwrap(), 1);
}

/// `strategy = "dfs"` enumerates: two tasks racing have few schedules, all explored.
#[racewright::test(strategy = "dfs", time = "any", engine = "shuttle", snapshot)]
async fn dfs_with_time_any() {
    let a = racewright::spawn(async { racewright::time::sleep(racewright::time::Duration::from_millis(5)).await });
    a.await.unwrap();
}

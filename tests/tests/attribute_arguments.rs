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

/// Two tasks each read a counter, call `notify_one`, and write the counter back, with no
/// await in between: with a switch inside `notify_one` (the default) an increment can be
/// lost; where tasks are switched away from only where they return `Pending`, never.
async fn two_increments_around_notify_one() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let counter = Arc::new(AtomicUsize::new(0));
    let notify = Arc::new(racewright::sync::Notify::new());
    let increment = |counter: Arc<AtomicUsize>, notify: Arc<racewright::sync::Notify>| async move {
        let read = counter.load(Ordering::SeqCst);
        notify.notify_one();
        counter.store(read + 1, Ordering::SeqCst);
    };
    let first = racewright::spawn(increment(counter.clone(), notify.clone()));
    let second = racewright::spawn(increment(counter.clone(), notify.clone()));
    first.await.unwrap();
    second.await.unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 2);
}

#[racewright::test(switch_points = "pending", iterations = 300)]
async fn switch_points_pending() {
    two_increments_around_notify_one().await;
}

/// Every call a switch point (the default): the lost increment is found.
#[racewright::test(expect = "panic", iterations = 300)]
async fn switch_points_every_call_by_default() {
    two_increments_around_notify_one().await;
}

/// Every other execution takes one more step (a `static` carries the count): explored by
/// default, a probe notes it in the summary; `threads = 1` runs no probe, and the pinned
/// summary has no such note.
#[racewright::test(threads = 1, iterations = 200, snapshot)]
async fn threads_one_runs_no_probe() {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    if RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 2 == 1 {
        racewright::task::yield_now().await;
    }
}

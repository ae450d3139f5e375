//! Shuttle's idle task is spawned only when a task is about to block while no other can
//! run. Each way the last runnable task can stop must spawn it in time, or shuttle would
//! end the execution as its own deadlock (a harness error, not a finding): its poll
//! returns `Pending`, it parks in a blocking primitive (blocking locks taken in opposite
//! orders: `sync/blocking/mutex.rs`'s tests), or it finishes while the others wait.

use std::sync::Arc;
use std::time::Duration;

use racewright::sync::{Mutex, oneshot};
use racewright::{FailureKind, Policy, Scenario};

fn kind_of(report: &racewright::Report) -> Option<FailureKind> {
    assert!(report.harness_error().is_none(), "{report}");
    report.failure().map(|failure| failure.kind())
}

/// Two tasks wait on async locks in opposite orders: the last poll returns `Pending`.
#[test]
fn the_last_pending_poll_is_a_deadlock() {
    let report = Scenario::new("idle::pending").iterations(200).run(|| async {
        let (a, b) = (Arc::new(Mutex::new(())), Arc::new(Mutex::new(())));
        let task = racewright::spawn({
            let (a, b) = (a.clone(), b.clone());
            async move {
                let _b = b.lock().await;
                racewright::task::yield_now().await;
                let _a = a.lock().await;
            }
        });
        {
            let _a = a.lock().await;
            racewright::task::yield_now().await;
            let _b = b.lock().await;
        }
        task.await.unwrap();
    });
    assert_eq!(kind_of(&report), Some(FailureKind::Deadlock), "{report}");
}

/// Every task sleeps: the clock moves to the first timer, in every execution.
#[test]
fn when_every_task_sleeps_time_passes() {
    let report = Scenario::new("idle::sleep").iterations(50).run(|| async {
        let sleeper = racewright::spawn(racewright::time::sleep(Duration::from_secs(5)));
        racewright::time::sleep(Duration::from_secs(1)).await;
        sleeper.await.unwrap();
    });
    assert_eq!(kind_of(&report), None, "{report}");
}

/// The body returned; one task waits forever, the other finishes: finishing, the last
/// runnable task leaves nobody, and the wound-down body is judged (a leak).
#[test]
fn the_last_task_to_finish_lets_the_body_wind_down() {
    let report = Scenario::new("idle::finish").leaks(Policy::Deny).iterations(50).run(|| async {
        let (sender, receiver) = oneshot::channel::<()>();
        drop(racewright::spawn(async move {
            let _ = receiver.await;
        }));
        drop(racewright::spawn(racewright::task::yield_now()));
        std::mem::forget(sender);
    });
    assert_eq!(kind_of(&report), Some(FailureKind::Leak), "{report}");
}

/// Nothing blocks with nobody else to run: the idle task is never needed, and the
/// executions pass.
#[test]
fn executions_that_never_block_alone_pass() {
    let report = Scenario::new("idle::never").iterations(200).run(|| async {
        let n = Arc::new(Mutex::new(0));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let n = n.clone();
                racewright::spawn(async move { *n.lock().await += 1 })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*n.lock().await, 3);
    });
    assert_eq!(kind_of(&report), None, "{report}");
}

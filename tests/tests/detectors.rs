//! What raw shuttle loses, racewright finds: leaked tasks, unhandled panics, logged errors.

use racewright::sync::Mutex;
use racewright::{FailureKind, Policy, Scenario};
use std::sync::Arc;

/// A future that never completes and keeps no waker: nothing can ever wake it.
struct Forever;

impl std::future::Future for Forever {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Pending
    }
}

#[test]
fn a_detached_task_that_never_finishes_is_a_leak() {
    let report = Scenario::new("detectors::leak").iterations(20).run(|| async {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.clone().lock_owned().await;
        drop(
            racewright::task::Builder::new()
                .name("stuck")
                .spawn(async move {
                    let _wait = gate.lock().await;
                })
                .unwrap(),
        );
        std::mem::forget(held);
    });
    let failure = report.failure().expect("the leak is found");
    assert_eq!(failure.kind(), FailureKind::Leak, "{report}");
    let text = report.to_string();
    assert!(text.contains("\"stuck\""), "{text}");
    assert!(text.contains("Mutex::lock"), "{text}");
    assert!(text.contains("detached"), "{text}");
}

#[test]
fn a_fire_and_forget_task_that_finishes_during_wind_down_is_not_a_leak() {
    let report = Scenario::new("detectors::no_leak").iterations(50).run(|| async {
        let n = Arc::new(Mutex::new(0));
        drop(racewright::spawn(async move {
            racewright::task::yield_now().await;
            *n.lock().await += 1;
        }));
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn leaks_can_be_allowed() {
    let report = Scenario::new("detectors::leak_allowed").iterations(5).leaks(Policy::Allow).run(|| async {
        drop(racewright::spawn(Forever));
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_panic_awaited_through_the_handle_is_handled() {
    let report = Scenario::new("detectors::handled").iterations(20).run(|| async {
        let task = racewright::spawn(async { panic!("boom") });
        let error = task.await.unwrap_err();
        assert!(error.is_panic());
        assert_eq!(error.panic_message(), Some("boom"));
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_panic_in_a_detached_task_is_unhandled() {
    let report = Scenario::new("detectors::unhandled").iterations(20).run(|| async {
        drop(racewright::task::Builder::new().name("reaper").spawn(async { panic!("nobody sees this") }).unwrap());
    });
    let failure = report.failure().expect("the panic is found");
    assert_eq!(failure.kind(), FailureKind::UnhandledPanic, "{report}");
    assert!(failure.message().contains("nobody sees this"), "{report}");
    assert!(failure.location().unwrap().starts_with("tests/tests/detectors.rs:"), "{report}");
}

#[test]
fn a_lost_wakeup_leads_the_deadlock_it_causes() {
    let report = Scenario::new("detectors::lost_wakeup").iterations(5).run(|| async {
        Forever.await;
    });
    let failure = report.failure().expect("the lost wakeup is found");
    assert_eq!(failure.kind(), FailureKind::LostWakeup, "{report}");
    assert!(report.failures().iter().any(|failure| failure.kind() == FailureKind::Deadlock), "{report}");
    assert!(report.to_string().contains("kept no clone of the waker"), "{report}");
}

#[test]
fn an_error_event_is_a_failure() {
    let report = Scenario::new("detectors::error_event").iterations(5).run(|| async {
        let worker = racewright::spawn(async {
            tracing::error!(attempt = 3, "giving up on the upstream");
        });
        worker.await.unwrap();
    });
    let failure = report.failure().expect("the error event is found");
    assert_eq!(failure.kind(), FailureKind::Error, "{report}");
    assert!(failure.message().contains("giving up on the upstream"), "{report}");
    assert!(failure.message().contains("attempt=3"), "{report}");
    assert_eq!(failure.task().unwrap().id, 1, "{report}");
}

#[test]
fn error_events_can_be_allowed() {
    let report = Scenario::new("detectors::error_allowed").iterations(5).error_events(Policy::Allow).run(|| async {
        tracing::error!("tolerated");
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_body_returning_err_is_an_error() {
    let report = Scenario::new("detectors::err").iterations(5).run(|| async { Err::<(), _>("bad state") });
    assert_eq!(report.failure().unwrap().kind(), FailureKind::Error, "{report}");
    assert!(report.failure().unwrap().message().contains("bad state"), "{report}");
}

#[test]
fn a_spin_loop_hits_the_step_limit() {
    let report = Scenario::new("detectors::spin").iterations(5).max_steps(500).run(|| async {
        let flag = Arc::new(Mutex::new(false));
        let spinner = racewright::task::Builder::new()
            .name("spinner")
            .spawn({
                let flag = flag.clone();
                async move {
                    while !*flag.lock().await {
                        racewright::task::yield_now().await;
                    }
                }
            })
            .unwrap();
        spinner.await.unwrap();
    });
    let failure = report.failure().expect("the livelock is found");
    assert_eq!(failure.kind(), FailureKind::StepLimit, "{report}");
    assert!(report.to_string().contains("spinner"), "{report}");
}

#[test]
fn a_split_semaphore_permit_still_names_its_holder() {
    let report = Scenario::new("detectors::split_permit").iterations(5).run(|| async {
        let semaphore = racewright::sync::Semaphore::new(2);
        let mut both = semaphore.acquire_many(2).await.unwrap();
        let kept = both.split(1).unwrap();
        drop(both);
        // One permit is free, one is still held here: this waits for itself.
        let _all = semaphore.acquire_many(2).await.unwrap();
        drop(kept);
    });
    assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    assert!(report.to_string().contains("held by #0 \"main\""), "{report}");
}

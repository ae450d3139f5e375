//! A panic re-raised with `std::panic::resume_unwind` (tokio's idiom for a `JoinError`) is
//! the test's panic, not an error of racewright.

use racewright::{FailureKind, Scenario};

#[test]
fn a_panic_resumed_from_a_join_error_is_a_panic_finding() {
    let report = Scenario::new("resume_unwind::join_error").iterations(10).run(|| async {
        let failing = true;
        let task = racewright::spawn(async move { assert!(!failing, "the worker failed") });
        if let Err(error) = task.await {
            std::panic::resume_unwind(error.into_panic());
        }
    });
    assert!(report.harness_error().is_none(), "{report}");
    let failure = report.failure().expect("the resumed panic fails the test");
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
    assert!(failure.message().contains("the worker failed"), "{report}");
}

#[test]
fn a_panic_resumed_inside_a_task_reaches_its_join_handle() {
    let report = Scenario::new("resume_unwind::in_task").iterations(10).run(|| async {
        let task = racewright::spawn(async {
            let inner = racewright::spawn(async { panic!("deep") });
            let error = inner.await.unwrap_err();
            std::panic::resume_unwind(error.into_panic());
        });
        let error = task.await.expect_err("the task re-raised the panic");
        assert!(error.is_panic());
    });
    assert!(report.failure().is_none() && report.harness_error().is_none(), "{report}");
}

//! `Mutex::blocking_lock`, as tokio's: fine from plain threads, a panic inside async code.

use racewright::sync::Mutex;
use racewright::{FailureKind, Scenario};

#[test]
fn from_a_plain_thread_it_blocks_and_locks() {
    let mutex = Mutex::new(1);
    *mutex.blocking_lock() += 1;
    assert_eq!(*mutex.blocking_lock(), 2);
}

#[test]
fn inside_an_execution_it_panics_as_inside_a_runtime() {
    let report = Scenario::new("mutex::blocking_lock").iterations(3).run(|| async {
        let mutex = Mutex::new(0);
        let _guard = mutex.blocking_lock();
    });
    let failure = report.failure().expect("a panic");
    assert_eq!(failure.kind(), FailureKind::Panic);
    assert!(failure.message().contains("Cannot block the current thread from within a runtime"), "{report}");
}

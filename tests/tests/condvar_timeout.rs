//! A blocking condition variable's timeout runs on the virtual clock inside a run.

use racewright::Scenario;
use racewright::sync::blocking::{Condvar, Mutex};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn a_wait_timeout_nobody_notifies_times_out_instead_of_deadlocking() {
    let report = Scenario::new("condvar::timeout").iterations(50).run(|| async {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let (lock, condvar) = &*pair;
        let started = racewright::time::Instant::now();
        let guard = lock.lock().unwrap();
        let (guard, result) = condvar.wait_timeout(guard, Duration::from_millis(200)).unwrap();
        assert!(result.timed_out());
        assert!(!*guard);
        assert_eq!(started.elapsed(), Duration::from_millis(200));
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_notification_before_the_deadline_wins() {
    let report = Scenario::new("condvar::notified").iterations(200).run(|| async {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let notifier = racewright::spawn({
            let pair = pair.clone();
            async move {
                *pair.0.lock().unwrap() = true;
                pair.1.notify_one();
            }
        });
        let (lock, condvar) = &*pair;
        let guard = lock.lock().unwrap();
        let (guard, _) = condvar.wait_timeout_while(guard, Duration::from_secs(3600), |ready| !*ready).unwrap();
        assert!(*guard);
        drop(guard);
        notifier.await.unwrap();
    });
    assert!(report.failure().is_none(), "{report}");
}

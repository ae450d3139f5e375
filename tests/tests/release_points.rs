//! A release is a scheduling point, as in shuttle's own locks: a schedule that needs another
//! task to run right after a lock or permits are given back, before the releasing task
//! takes its next step, is reachable. Each test hides the releasing task's next step from
//! racewright (a std atomic), so only the release itself can let the other task in there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use racewright::{FailureKind, Scenario, Strategy};

/// Runs `body` under random scheduling and expects the in-between state to be seen.
fn reachable<F, Fut>(name: &str, body: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let report = Scenario::new(name).iterations(2000).strategy(Strategy::Random).run(body);
    let failure =
        report.failure().unwrap_or_else(|| panic!("{name}: the state right after the release was never seen"));
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
    assert!(failure.message().contains("in between"), "{report}");
}

#[test]
fn right_after_a_mutex_guard_is_dropped() {
    reachable("release::mutex", || async {
        let (lock, after) = (Arc::new(racewright::sync::Mutex::new(0)), Arc::new(AtomicBool::new(false)));
        let releaser = racewright::spawn({
            let (lock, after) = (lock.clone(), after.clone());
            async move {
                *lock.lock().await = 1;
                after.store(true, Ordering::SeqCst);
            }
        });
        let seen = *lock.lock().await;
        assert!(seen == 0 || after.load(Ordering::SeqCst), "in between");
        releaser.await.unwrap();
    });
}

#[test]
fn right_after_an_rwlock_write_guard_is_dropped() {
    reachable("release::rwlock", || async {
        let (lock, after) = (Arc::new(racewright::sync::RwLock::new(0)), Arc::new(AtomicBool::new(false)));
        let releaser = racewright::spawn({
            let (lock, after) = (lock.clone(), after.clone());
            async move {
                *lock.write().await = 1;
                after.store(true, Ordering::SeqCst);
            }
        });
        let seen = *lock.read().await;
        assert!(seen == 0 || after.load(Ordering::SeqCst), "in between");
        releaser.await.unwrap();
    });
}

#[test]
fn right_after_a_semaphore_permit_is_dropped() {
    reachable("release::semaphore", || async {
        let (permits, after) = (Arc::new(racewright::sync::Semaphore::new(0)), Arc::new(AtomicBool::new(false)));
        let (released, value) = (Arc::new(AtomicBool::new(false)), Arc::new(racewright::sync::Semaphore::new(1)));
        let releaser = racewright::spawn({
            let (value, released, after) = (value.clone(), released.clone(), after.clone());
            async move {
                let permit = value.acquire().await.unwrap();
                released.store(true, Ordering::SeqCst);
                drop(permit);
                after.store(true, Ordering::SeqCst);
            }
        });
        let permit = value.acquire().await.unwrap();
        assert!(!released.load(Ordering::SeqCst) || after.load(Ordering::SeqCst), "in between");
        drop((permit, permits));
        releaser.await.unwrap();
    });
}

#[test]
fn right_after_a_blocking_mutex_guard_is_dropped() {
    reachable("release::blocking_mutex", || async {
        let (lock, after) = (Arc::new(racewright::sync::blocking::Mutex::new(0)), Arc::new(AtomicBool::new(false)));
        let releaser = racewright::spawn({
            let (lock, after) = (lock.clone(), after.clone());
            async move {
                *lock.lock().unwrap() = 1;
                after.store(true, Ordering::SeqCst);
            }
        });
        let seen = *lock.lock().unwrap();
        assert!(seen == 0 || after.load(Ordering::SeqCst), "in between");
        releaser.await.unwrap();
    });
}

//! Cancellation: the facade's primitives stay correct when their futures are dropped at an
//! await, and `racewright::cancel::at_every_await` finds the futures that do not.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use racewright::cancel::{Outcome, at_every_await};
use racewright::sync::{Mutex, Notify, RwLock, Semaphore, mpsc};
use racewright::task::yield_now;
use racewright::{FailureKind, Scenario};
use tokio_test::{assert_pending, assert_ready, task};

#[test]
fn a_lock_dropped_once_it_was_handed_over_gives_it_back() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().unwrap();
    let mut waiter = task::spawn(mutex.lock());
    assert_pending!(waiter.poll());
    drop(guard);
    assert!(waiter.is_woken(), "the lock went to the queued waiter");
    drop(waiter);
    assert!(mutex.try_lock().is_ok(), "the dropped waiter gave the lock back");
}

#[test]
fn a_dropped_acquire_gives_back_the_permits_it_was_assigned() {
    let semaphore = Semaphore::new(3);
    let two = semaphore.try_acquire_many(2).unwrap();
    let mut three = task::spawn(semaphore.acquire_many(3));
    // One permit is free: it is assigned to the queued waiter, which waits for two more.
    assert_pending!(three.poll());
    assert_eq!(semaphore.available_permits(), 0);
    drop(three);
    assert_eq!(semaphore.available_permits(), 1);
    drop(two);
    assert_eq!(semaphore.available_permits(), 3);
}

#[test]
fn a_dropped_write_lock_lets_the_readers_behind_it_in() {
    let lock = RwLock::new(());
    let reader = lock.try_read().unwrap();
    let mut writer = task::spawn(lock.write());
    assert_pending!(writer.poll());
    // Fair: a new reader queues behind the writer...
    let mut late_reader = task::spawn(lock.read());
    assert_pending!(late_reader.poll());
    // ...until the writer gives up its place.
    drop(writer);
    assert!(late_reader.is_woken());
    let _late_guard = assert_ready!(late_reader.poll());
    drop(reader);
}

#[test]
fn a_dropped_notified_passes_its_notification_on() {
    let notify = Notify::new();
    let mut first = task::spawn(notify.notified());
    let mut second = task::spawn(notify.notified());
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    notify.notify_one();
    drop(first);
    assert!(second.is_woken());
    assert_ready!(second.poll());
}

#[test]
fn a_dropped_send_loses_no_slot_and_sends_nothing() {
    racewright::check(|| async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        let mut send = task::spawn(tx.send(2));
        assert_pending!(send.poll());
        assert_eq!(rx.recv().await, Some(1));
        assert!(send.is_woken(), "the freed slot went to the waiting send");
        drop(send);
        tx.try_send(3).expect("the slot came back");
        assert_eq!(rx.recv().await, Some(3), "the dropped send sent nothing");
    });
}

#[test]
fn a_dropped_recv_loses_no_value() {
    racewright::check(|| async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut recv = task::spawn(rx.recv());
        assert_pending!(recv.poll());
        tx.send(5).unwrap();
        assert!(recv.is_woken());
        drop(recv);
        assert_eq!(rx.try_recv(), Ok(5));
    });
}

#[test]
fn an_aborted_task_drops_its_guard() {
    racewright::check(|| async {
        let mutex = Arc::new(Mutex::new(()));
        let locked = Arc::new(Notify::new());
        let holder = racewright::spawn({
            let (mutex, locked) = (mutex.clone(), locked.clone());
            async move {
                let _guard = mutex.lock().await;
                locked.notify_one();
                std::future::pending::<()>().await;
            }
        });
        locked.notified().await;
        holder.abort();
        assert!(holder.await.unwrap_err().is_cancelled());
        drop(mutex.lock().await);
    });
}

/// The primitives, each dropped at every await point while another task contends for them.
#[racewright::test(iterations = 300)]
async fn the_primitives_are_cancel_safe_under_contention() {
    let mutex = Arc::new(Mutex::new(0));
    let semaphore = Arc::new(Semaphore::new(2));
    let contender = racewright::spawn({
        let (mutex, semaphore) = (mutex.clone(), semaphore.clone());
        async move {
            for _ in 0..2 {
                let _permits = semaphore.acquire_many(2).await.unwrap();
                let mut guard = mutex.lock().await;
                yield_now().await;
                *guard += 1;
            }
        }
    });
    let lock_and_acquire = || {
        let (mutex, semaphore) = (mutex.clone(), semaphore.clone());
        async move {
            let _permit = semaphore.acquire().await.unwrap();
            *mutex.lock().await += 1;
        }
    };
    let all_free = |_: Outcome<()>| {
        let (mutex, semaphore) = (mutex.clone(), semaphore.clone());
        async move {
            // Nothing is held by a dropped future: both can be taken in full.
            drop(semaphore.acquire_many(2).await.unwrap());
            drop(mutex.lock().await);
        }
    };
    at_every_await(lock_and_acquire, all_free).await.assert_safe();
    contender.await.unwrap();
}

/// Returns `Pending` once without keeping the waker: nothing will ever wake it.
struct Forgetful(bool);

impl Future for Forgetful {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        Poll::Pending
    }
}

#[test]
fn a_pending_poll_that_kept_no_waker_is_a_lost_wakeup() {
    racewright::check(|| async {
        let verdict = at_every_await(|| Forgetful(false), |_| async {}).await;
        let broken = verdict.broken().expect("the lost wakeup is found");
        assert!(broken.is_lost_wakeup());
        assert_eq!(broken.point().unwrap().pending_polls(), 1);
        assert!(verdict.to_string().contains("lost wakeup"), "{verdict}");
    });
}

#[test]
fn a_safe_future_is_dropped_before_its_first_poll_and_twice_at_each_await() {
    racewright::check(|| async {
        let checks = Arc::new(AtomicUsize::new(0));
        let two_awaits = || async {
            yield_now().await;
            yield_now().await;
            7
        };
        let verdict = at_every_await(two_awaits, |outcome| {
            let checks = checks.clone();
            async move {
                checks.fetch_add(1, Ordering::SeqCst);
                if let Outcome::Completed(output) = outcome {
                    assert_eq!(output, 7);
                }
            }
        })
        .await;
        verdict.assert_safe();
        // Before the first poll; at each of 2 await points, pending and woken; completed.
        assert_eq!(verdict.rounds(), 6);
        assert_eq!(checks.load(Ordering::SeqCst), 6);
    });
}

#[test]
fn a_failed_check_names_the_await_point_and_the_trace_shows_the_rounds() {
    let report = Scenario::new("cancel::counter").iterations(5).run(|| async {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let request = || {
            let in_flight = in_flight.clone();
            async move {
                in_flight.fetch_add(1, Ordering::SeqCst);
                yield_now().await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            }
        };
        let verdict = at_every_await(request, |_| {
            let in_flight = in_flight.load(Ordering::SeqCst);
            async move { if in_flight == 0 { Ok(()) } else { Err(format!("{in_flight} requests in flight")) } }
        })
        .await;
        verdict.assert_safe();
    });
    let failure = report.failure().expect("the counter is found");
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
    assert!(
        failure.message().contains("dropped at await point 1 (pending), the check failed: 1 requests in flight"),
        "{report}"
    );
    assert!(failure.location().unwrap().contains("cancellation.rs"), "{report}");
    assert!(report.to_string().contains("cancel dropped at await 1 (pending)"), "{report}");
}

#[tokio::test]
async fn outside_a_run_it_drives_the_future_on_tokio() {
    let verdict = at_every_await(|| racewright::time::sleep(std::time::Duration::from_millis(1)), |_| async {}).await;
    verdict.assert_safe();
    assert_eq!(verdict.rounds(), 4);
}

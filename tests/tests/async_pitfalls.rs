//! The async pitfalls racewright reports as findings of their own: lost wakeups, blocking
//! in async code, lost messages, unbounded growth; the arguments that tune them; the
//! metrics of every report; and what must not be mistaken for them.

use std::future::poll_fn;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use racewright::sync::{Notify, mpsc, oneshot};
use racewright::{FailureKind, Flavor, Policy, Scenario};

fn kind(report: &racewright::Report) -> Option<FailureKind> {
    report.failure().map(|failure| failure.kind())
}

/// `poll_fn` that returns `Pending` without storing the waker: found at that poll, in the
/// task that returned it, with its last operation.
#[racewright::test(expect = "lost_wakeup", iterations = 5)]
async fn a_poll_fn_that_forgets_the_waker_is_a_lost_wakeup() {
    let worker = racewright::task::Builder::new()
        .name("forgetful")
        .spawn(async {
            tracing::info!("about to wait");
            poll_fn(|_| Poll::<()>::Pending).await;
        })
        .unwrap();
    worker.await.unwrap();
}

#[test]
fn the_lost_wakeup_names_the_task_and_its_last_operation() {
    let report = Scenario::new("pitfalls::lost_wakeup_report").iterations(5).run(|| async {
        let worker = racewright::task::Builder::new()
            .name("forgetful")
            .spawn(async {
                racewright::task::yield_now().await;
                poll_fn(|_| Poll::<()>::Pending).await;
            })
            .unwrap();
        worker.await.unwrap();
    });
    let failure = report.failure().expect("found");
    assert_eq!(failure.kind(), FailureKind::LostWakeup, "{report}");
    assert_eq!(failure.task().map(|task| task.name.as_str()), Some("forgetful"), "{report}");
    assert!(failure.details().iter().any(|line| line.contains("yield_now")), "{report}");
}

/// What wakes itself, what keeps its waker with a racewright primitive, a timer, a tokio
/// primitive or a hand-written slot, and a task parked in `pending()` until it is
/// aborted: none of them is a lost wakeup.
#[racewright::test(iterations = 200)]
async fn wakers_that_are_kept_or_used_are_no_lost_wakeup() {
    let slot: Arc<StdMutex<Option<Waker>>> = Arc::default();
    let (tx, rx) = oneshot::channel::<u8>();
    let tokio_notify = Arc::new(tokio::sync::Notify::new());
    let worker = racewright::spawn({
        let slot = slot.clone();
        let tokio_notify = tokio_notify.clone();
        async move {
            racewright::task::yield_now().await;
            racewright::time::sleep(Duration::from_millis(5)).await;
            // Kept by hand, in a slot the body wakes.
            let mut parked = false;
            poll_fn(|cx| {
                if std::mem::replace(&mut parked, true) {
                    return Poll::Ready(());
                }
                *slot.lock().unwrap() = Some(cx.waker().clone());
                Poll::Pending
            })
            .await;
            tokio_notify.notified().await;
            rx.await.unwrap()
        }
    });
    let parked = racewright::spawn(std::future::pending::<()>());
    // The clock moves when every task waits: by then the worker has filled the slot.
    racewright::time::sleep(Duration::from_millis(10)).await;
    slot.lock().unwrap().take().expect("the worker kept its waker").wake();
    tokio_notify.notify_one();
    tx.send(7).unwrap();
    assert_eq!(worker.await.unwrap(), 7);
    parked.abort();
    assert!(parked.await.unwrap_err().is_cancelled());
}

/// A blocking guard held across an await is found at the await, both in a `join!` and alone.
#[racewright::test(expect = "blocking_in_async", iterations = 5)]
async fn a_blocking_guard_held_across_an_await_is_blocking_in_async() {
    let cache = racewright::sync::blocking::Mutex::new(0);
    let guard = cache.lock().unwrap();
    racewright::time::sleep(Duration::from_millis(1)).await;
    drop(guard);
}

/// A short blocking lock, contended, is fine on the default flavor; with `current_thread`
/// a task that would block on it stalls the runtime.
#[test]
fn a_condvar_wait_is_fine_on_threads_and_blocking_on_one_thread() {
    let body = || async {
        let pair =
            Arc::new((racewright::sync::blocking::Mutex::new(false), racewright::sync::blocking::Condvar::new()));
        let setter = racewright::spawn({
            let pair = pair.clone();
            async move {
                racewright::task::yield_now().await;
                *pair.0.lock().unwrap() = true;
                pair.1.notify_all();
            }
        });
        let ready = pair.1.wait_while(pair.0.lock().unwrap(), |ready| !*ready).unwrap();
        assert!(*ready);
        drop(ready);
        setter.await.unwrap();
    };
    let threads = Scenario::new("pitfalls::condvar_threads").iterations(200).run(body);
    assert_eq!(kind(&threads), None, "{threads}");
    let one = Scenario::new("pitfalls::condvar_one_thread").iterations(200).flavor(Flavor::CurrentThread).run(body);
    assert_eq!(kind(&one), Some(FailureKind::BlockingInAsync), "{one}");
    assert!(one.to_string().contains("blocking::Condvar::wait_while"), "{one}");
}

/// On one thread a task runs until it returns `Pending`: a read-modify-write with no await
/// in between is never interleaved, where on threads it is.
#[test]
fn on_one_thread_tasks_switch_only_at_pending() {
    let body = || async {
        let counter = Arc::new(racewright::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let counter = counter.clone();
                racewright::spawn(async move {
                    let seen = counter.load(racewright::sync::atomic::Ordering::SeqCst);
                    counter.store(seen + 1, racewright::sync::atomic::Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(counter.load(racewright::sync::atomic::Ordering::SeqCst), 2);
    };
    let threads = Scenario::new("pitfalls::rmw_threads").iterations(500).run(body);
    assert_eq!(kind(&threads), Some(FailureKind::Panic), "{threads}");
    let one = Scenario::new("pitfalls::rmw_one_thread").iterations(500).flavor(Flavor::CurrentThread).run(body);
    assert_eq!(kind(&one), None, "{one}");
}

/// A receiver dropped with a message in it: a finding that says how many and who sent
/// them, unless `lost_messages = "allow"`.
#[test]
fn a_receiver_dropped_with_messages_loses_them_unless_allowed() {
    let body = || async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let sender = racewright::task::Builder::new()
            .name("sender")
            .spawn(async move {
                tx.send(1).unwrap();
                tx.send(2).unwrap();
            })
            .unwrap();
        sender.await.unwrap();
        assert_eq!(rx.recv().await, Some(1));
        drop(rx);
    };
    let denied = Scenario::new("pitfalls::lost_messages").iterations(5).run(body);
    let failure = denied.failure().expect("found");
    assert_eq!(failure.kind(), FailureKind::LostMessages, "{denied}");
    assert!(failure.message().contains("1 message"), "{denied}");
    assert!(failure.details().iter().any(|line| line.contains("\"sender\"")), "{denied}");
    let allowed = Scenario::new("pitfalls::lost_messages_allowed").iterations(5).lost_messages(Policy::Allow).run(body);
    assert_eq!(kind(&allowed), None, "{allowed}");
}

/// A oneshot whose value was sent and never received is a lost message too; a send to a
/// receiver already gone is not (the sender gets the value back).
#[test]
fn a_oneshot_value_never_received_is_lost_a_refused_one_is_not() {
    let lost = Scenario::new("pitfalls::oneshot_lost").iterations(5).run(|| async {
        let (tx, rx) = oneshot::channel();
        tx.send(1).unwrap();
        drop(rx);
    });
    assert_eq!(kind(&lost), Some(FailureKind::LostMessages), "{lost}");
    let refused = Scenario::new("pitfalls::oneshot_refused").iterations(5).run(|| async {
        let (tx, rx) = oneshot::channel();
        drop(rx);
        assert_eq!(tx.send(1), Err(1));
    });
    assert_eq!(kind(&refused), None, "{refused}");
}

#[racewright::test(lost_messages = "allow", iterations = 3)]
async fn lost_messages_allow() {
    let (tx, rx) = mpsc::channel(2);
    tx.send(1).await.unwrap();
    drop(rx);
}

/// Past `max_queue`, an unbounded channel is a finding; a bounded one never is.
#[racewright::test(max_queue = 2, expect = "unbounded_growth", iterations = 3)]
async fn max_queue_bounds_an_unbounded_channel() {
    let (tx, _rx) = mpsc::unbounded_channel();
    for n in 0..3 {
        tx.send(n).unwrap();
    }
}

#[test]
fn max_queue_bounds_live_tasks_and_join_sets() {
    let tasks = Scenario::new("pitfalls::live_tasks").iterations(3).max_queue(2).run(|| async {
        let blocker = Arc::new(Notify::new());
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let blocker = blocker.clone();
                racewright::spawn(async move { blocker.notified().await })
            })
            .collect();
        blocker.notify_waiters();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(kind(&tasks), Some(FailureKind::UnboundedGrowth), "{tasks}");
    let within = Scenario::new("pitfalls::live_tasks_within").iterations(50).max_queue(3).run(|| async {
        let mut set = racewright::task::JoinSet::new();
        for n in 0..3 {
            set.spawn(async move { n });
        }
        while set.join_next().await.is_some() {}
    });
    assert_eq!(kind(&within), None, "{within}");
}

/// The metrics: most tasks at once, the longest queue, each task's longest virtual wait;
/// in a passing summary, over every execution.
#[test]
fn every_report_and_summary_has_the_metrics() {
    let report = Scenario::new("pitfalls::metrics").iterations(20).run(|| async {
        let (tx, mut rx) = mpsc::channel(4);
        let producer = racewright::task::Builder::new()
            .name("producer")
            .spawn(async move {
                for n in 0..3 {
                    tx.send(n).await.unwrap();
                }
            })
            .unwrap();
        producer.await.unwrap();
        racewright::time::sleep(Duration::from_millis(30)).await;
        while rx.recv().await.is_some() {}
    });
    assert_eq!(kind(&report), None, "{report}");
    let metrics = report.metrics();
    assert_eq!(metrics.most_tasks, 2);
    let queue = metrics.longest_queues.iter().find(|(name, _)| name.starts_with("mpsc::channel@"));
    assert_eq!(queue.map(|(_, longest)| *longest), Some(3), "{metrics:?}");
    assert_eq!(metrics.longest_waits.get(&0).map(|(_, wait)| *wait), Some(Duration::from_millis(30)), "{metrics:?}");
    let summary = report.summary();
    assert!(summary.contains("most tasks at once     2"), "{summary}");
    assert!(summary.contains("30ms"), "{summary}");
}

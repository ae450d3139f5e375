//! `JoinSet`, as tokio's: join as tasks finish, abort on drop, inside a run and outside.

use racewright::sync::{Mutex, Notify};
use racewright::task::JoinSet;
use racewright::{FailureKind, Scenario};
use std::sync::Arc;

#[test]
fn tasks_are_joined_as_they_finish_in_every_interleaving() {
    racewright::check(|| async {
        let mut set = JoinSet::new();
        for n in 1..=3u32 {
            set.spawn(async move {
                racewright::task::yield_now().await;
                n
            });
        }
        assert_eq!(set.len(), 3);
        let mut seen = Vec::new();
        while let Some(result) = set.join_next().await {
            seen.push(result.unwrap());
        }
        seen.sort();
        assert_eq!(seen, [1, 2, 3]);
        assert!(set.is_empty());
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks_so_they_do_not_leak() {
    let report = Scenario::new("join_set::drop").iterations(100).run(|| async {
        let never = Arc::new(Notify::new());
        let mut set = JoinSet::new();
        for _ in 0..2 {
            let never = never.clone();
            set.spawn(async move { never.notified().await });
        }
        drop(set);
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn detached_tasks_that_never_finish_are_leaks() {
    let report = Scenario::new("join_set::detached").iterations(20).run(|| async {
        let never = Arc::new(Notify::new());
        let mut set = JoinSet::new();
        let waiter = never.clone();
        set.spawn(async move { waiter.notified().await });
        set.detach_all();
    });
    assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Leak), "{report}");
}

#[test]
fn abort_all_cancels_and_shutdown_waits() {
    racewright::check(|| async {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.clone().lock_owned().await;
        let mut set = JoinSet::new();
        for _ in 0..2 {
            let gate = gate.clone();
            set.spawn(async move {
                let _inside = gate.lock().await;
            });
        }
        set.shutdown().await;
        assert!(set.is_empty());
        drop(held);
        // The aborted waiters gave their place in the queue back: the lock is free.
        assert!(gate.try_lock().is_ok());
    });
}

#[test]
fn join_all_returns_every_output() {
    racewright::check(|| async {
        let mut set = JoinSet::new();
        set.spawn(async { 1 });
        set.spawn(async { 2 });
        let mut all = set.join_all().await;
        all.sort();
        assert_eq!(all, [1, 2]);
    });
}

#[tokio::test]
async fn outside_a_run_it_is_tokio_shaped() {
    let mut set = JoinSet::new();
    set.spawn(async { "done" });
    assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    assert!(set.join_next().await.is_none());
}

#[test]
fn a_join_handle_polled_after_completion_panics_as_tokio_does() {
    let report = Scenario::new("join_set::polled_again").iterations(5).run(|| async {
        let mut handle = racewright::spawn(async { 1 });
        assert_eq!((&mut handle).await.unwrap(), 1);
        let _ = futures_poll(&mut handle).await;
    });
    let failure = report.failure().expect("a panic");
    assert!(failure.message().contains("JoinHandle polled after completion"), "{report}");
}

async fn futures_poll<F: std::future::Future + Unpin>(future: &mut F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx))).await
}

#[test]
fn an_abort_handle_cancels_without_owning_the_task() {
    racewright::check(|| async {
        let never = Arc::new(Notify::new());
        let mut set = JoinSet::new();
        let waiter = never.clone();
        let abort = set.spawn(async move { waiter.notified().await });
        assert!(!abort.is_finished());
        abort.abort();
        let result = set.join_next().await.unwrap();
        assert!(result.unwrap_err().is_cancelled());
        assert!(abort.is_finished());
    });
}

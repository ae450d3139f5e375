//! The primitives that tokio has and racewright added later, explored by loom as well as by
//! shuttle: each scenario passes on both engines, and a bug in one is found by both.

use std::sync::Arc;

use racewright::sync::{Barrier, OnceCell, SetOnce, broadcast, mpsc};
use racewright::{EngineChoice, FailureKind, Scenario};

racewright::task_local! {
    static REQUEST: u32;
}

fn on_both(
    name: &str,
    body: fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
) -> Vec<racewright::Report> {
    [EngineChoice::Shuttle, EngineChoice::Loom]
        .into_iter()
        .map(|engine| Scenario::new(format!("{name}::{engine:?}")).engine(engine).iterations(200).run(body))
        .collect()
}

#[test]
fn barrier_broadcast_once_cell_and_set_once_pass_on_both_engines() {
    for report in on_both("new_primitives::correct", || {
        Box::pin(async {
            let barrier = Arc::new(Barrier::new(2));
            let cell = Arc::new(OnceCell::new());
            let ready = Arc::new(SetOnce::new());
            let (tx, mut rx) = broadcast::channel(2);
            let worker = racewright::spawn({
                let (barrier, cell, ready) = (barrier.clone(), cell.clone(), ready.clone());
                async move {
                    let value = *cell.get_or_init(|| async { 1 }).await;
                    barrier.wait().await;
                    ready.set(value).unwrap();
                    tx.send(value).unwrap();
                }
            });
            let value = *cell.get_or_init(|| async { 1 }).await;
            barrier.wait().await;
            assert_eq!(*ready.wait().await, value);
            assert_eq!(rx.recv().await, Ok(value));
            worker.await.unwrap();
        })
    }) {
        assert!(report.failure().is_none() && report.harness_error().is_none(), "{report}");
    }
}

#[test]
fn blocking_tasks_task_locals_and_local_sets_pass_on_both_engines() {
    for report in on_both("new_primitives::tasks", || {
        Box::pin(async {
            let (tx, mut rx) = mpsc::channel(1);
            let producer = racewright::task::spawn_blocking(move || tx.blocking_send(3).unwrap());
            let local = racewright::task::LocalSet::new();
            let got = local
                .run_until(REQUEST.scope(2, async move {
                    let doubled = racewright::task::spawn_local(async { REQUEST.try_get().unwrap_or(0) * 2 });
                    rx.recv().await.unwrap() + REQUEST.get() + doubled.await.unwrap()
                }))
                .await;
            assert_eq!(got, 5, "the local task is not in the scope");
            producer.await.unwrap();
        })
    }) {
        assert!(report.failure().is_none() && report.harness_error().is_none(), "{report}");
    }
}

#[test]
fn a_barrier_waited_on_by_too_few_is_a_deadlock_on_both_engines() {
    for report in on_both("new_primitives::barrier_deadlock", || {
        Box::pin(async {
            let barrier = Arc::new(Barrier::new(3));
            let other = racewright::spawn({
                let barrier = barrier.clone();
                async move { barrier.wait().await }
            });
            barrier.wait().await;
            other.await.unwrap();
        })
    }) {
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
        assert!(report.to_string().contains("Barrier::wait on Barrier@"), "{report}");
    }
}

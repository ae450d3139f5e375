//! Every strategy explores any body, from one without concurrency to one that spins.

use racewright::sync::Mutex;
use racewright::{FailureKind, Scenario, Strategy};
use std::sync::Arc;

const STRATEGIES: [Strategy; 7] = [
    Strategy::Portfolio,
    Strategy::Random,
    Strategy::Pct { depth: 1 },
    Strategy::Pct { depth: 3 },
    Strategy::Dfs,
    Strategy::Pos,
    Strategy::Urw,
];

#[test]
fn a_body_without_concurrency_passes_under_every_strategy() {
    for strategy in STRATEGIES {
        let report = Scenario::new("strategies::sequential").iterations(20).strategy(strategy).run(|| async {
            let n = Mutex::new(1);
            *n.lock().await += 1;
            assert_eq!(*n.lock().await, 2);
        });
        assert!(report.failure().is_none() && report.harness_error().is_none(), "{strategy}: {report}");
    }
}

#[test]
fn a_task_spinning_on_yield_now_does_not_starve_the_others() {
    for strategy in STRATEGIES {
        let report = Scenario::new("strategies::spin").iterations(50).strategy(strategy).run(|| async {
            let flag = Arc::new(Mutex::new(false));
            let setter = racewright::spawn({
                let flag = flag.clone();
                async move { *flag.lock().await = true }
            });
            while !*flag.lock().await {
                racewright::task::yield_now().await;
            }
            setter.await.unwrap();
        });
        assert!(report.failure().is_none(), "{strategy}: {report}");
    }
}

/// Two tasks spin on `yield_now` while a third takes several steps to give them what they
/// wait for: under every strategy it gets them, well within the step limit. (POS once let
/// the spinners redraw their priorities at every step while the worker kept a low one.)
#[test]
fn tasks_spinning_on_yield_now_let_a_slow_worker_finish() {
    use racewright::sync::atomic::{AtomicUsize, Ordering};
    for strategy in STRATEGIES {
        let report =
            Scenario::new("strategies::slow_worker").iterations(2_000).max_steps(1_000).strategy(strategy).run(
                || async {
                    let progress = Arc::new(AtomicUsize::new(0));
                    let worker = racewright::spawn({
                        let progress = progress.clone();
                        async move {
                            for _ in 0..10 {
                                progress.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    });
                    let spinners: Vec<_> = (0..2)
                        .map(|_| {
                            let progress = progress.clone();
                            racewright::spawn(async move {
                                while progress.load(Ordering::SeqCst) < 10 {
                                    racewright::task::yield_now().await;
                                }
                            })
                        })
                        .collect();
                    worker.await.unwrap();
                    for spinner in spinners {
                        spinner.await.unwrap();
                    }
                },
            );
        assert!(report.failure().is_none(), "{strategy}: {report}");
    }
}

#[test]
fn the_same_seed_finds_the_same_failing_execution() {
    let run = || {
        Scenario::new("strategies::determinism").iterations(500).run(|| async {
            let n = Arc::new(Mutex::new(0));
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let n = n.clone();
                    racewright::spawn(async move {
                        let v = *n.lock().await;
                        racewright::task::yield_now().await;
                        *n.lock().await = v + 1;
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(*n.lock().await, 3);
        })
    };
    let (first, second) = (run(), run());
    assert_eq!(first.failure().unwrap().kind(), FailureKind::Panic);
    assert_eq!(first.failing_execution(), second.failing_execution());
    assert_eq!(first.to_string(), second.to_string());
}

/// `select!`'s branch order is a random choice: every strategy must hand one out and
/// replay it (DFS once refused random data, and the replay found a false nondeterminism).
#[test]
fn a_select_loop_passes_and_replays_under_every_strategy() {
    use racewright::sync::{mpsc, watch};
    for strategy in STRATEGIES {
        let report = Scenario::new("strategies::select_worker").iterations(200).strategy(strategy).run(|| async {
            let (jobs, mut queue) = mpsc::channel::<u32>(4);
            let (stop, mut stopped) = watch::channel(false);
            let worker = racewright::spawn(async move {
                let mut done = 0;
                loop {
                    racewright::select! {
                        job = queue.recv() => match job {
                            Some(_) => done += 1,
                            None => return done,
                        },
                        _ = stopped.changed() => return done,
                    }
                }
            });
            for job in 0..3 {
                jobs.send(job).await.unwrap();
            }
            drop(jobs);
            let done = worker.await.unwrap();
            stop.send(true).ok();
            assert!(done <= 3);
        });
        assert!(report.failure().is_none() && report.harness_error().is_none(), "{strategy}: {report}");
    }
}

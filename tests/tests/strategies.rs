//! Every strategy explores any body, from one without concurrency to one that spins.

use racewright::sync::Mutex;
use racewright::{FailureKind, Scenario, Strategy};
use std::sync::Arc;

const STRATEGIES: [Strategy; 6] = [
    Strategy::Portfolio,
    Strategy::Random,
    Strategy::Pct { depth: 1 },
    Strategy::Pct { depth: 3 },
    Strategy::Dfs,
    Strategy::Pos,
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

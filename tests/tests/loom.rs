//! The loom engine: what it finds, and what it says when a scenario does not fit it.

use racewright::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use racewright::sync::{Mutex, oneshot};
use racewright::{EngineChoice, FailureKind, Policy, Scenario, TimeMode};
use std::sync::Arc;

fn on_loom(name: &str) -> Scenario {
    Scenario::new(name).engine(EngineChoice::Loom)
}

#[test]
fn a_fix_passes_with_every_interleaving_explored() {
    let report = on_loom("loom::exhaustive").run(|| async {
        let n = Arc::new(Mutex::new(0));
        let task = racewright::spawn({
            let n = n.clone();
            async move { *n.lock().await += 1 }
        });
        *n.lock().await += 1;
        task.await.unwrap();
        assert_eq!(*n.lock().await, 2);
    });
    assert!(report.failure().is_none(), "{report}");
    assert!(report.exhaustive(), "{report}");
    assert!(report.to_string().contains("engine loom | strategy dpor (preemption bound 2) |"), "{report}");
}

#[test]
fn a_spin_without_yield_is_a_step_limit() {
    let report = on_loom("loom::spin").max_steps(300).run(|| async {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = racewright::spawn({
            let flag = flag.clone();
            async move { flag.store(true, Ordering::Release) }
        });
        while !flag.load(Ordering::Acquire) {}
        setter.await.unwrap();
    });
    assert_eq!(report.failure().map(|f| f.kind()), Some(FailureKind::StepLimit), "{report}");
}

#[test]
fn an_execution_longer_than_the_first_search_has_room_for_runs_to_its_end() {
    // More loom branches than a search first reserves room for (10,000), fewer steps than
    // the step limit: no step limit.
    let report = on_loom("loom::long").run(|| async {
        let n = AtomicUsize::new(0);
        for i in 0..15_000 {
            n.store(i, Ordering::Relaxed);
        }
    });
    assert!(report.failure().is_none(), "{report}");
    assert!(report.exhaustive(), "{report}");
}

#[test]
fn a_spin_on_yield_now_lets_the_others_run() {
    let report = on_loom("loom::yield_spin").run(|| async {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = racewright::spawn({
            let flag = flag.clone();
            async move { flag.store(true, Ordering::Release) }
        });
        while !flag.load(Ordering::Acquire) {
            racewright::task::yield_now().await;
        }
        setter.await.unwrap();
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn more_tasks_than_loom_models_is_a_limit_that_names_shuttle() {
    let report = on_loom("loom::too_many").run(|| async {
        let tasks: Vec<_> = (0..5).map(|i| racewright::spawn(async move { i })).collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert!(report.failure().is_none(), "{report}");
    let limit = report.limit().expect("the fifth task is past loom's limit");
    assert!(limit.contains("at most 4") && limit.contains("shuttle"), "{limit}");
    assert!(report.to_string().starts_with("racewright: INCOMPLETE"), "{report}");
}

#[test]
fn an_exploration_cut_short_is_incomplete_not_passed() {
    let report = on_loom("loom::cut_short").iterations(2).run(|| async {
        let n = Arc::new(AtomicUsize::new(0));
        let task = racewright::spawn({
            let n = n.clone();
            async move { n.fetch_add(1, Ordering::SeqCst) }
        });
        n.fetch_add(1, Ordering::SeqCst);
        task.await.unwrap();
    });
    assert!(report.failure().is_none() && !report.exhaustive(), "{report}");
    assert!(report.limit().is_some_and(|limit| limit.contains("iterations")), "{report}");
}

#[test]
fn time_any_does_not_fit_loom() {
    let report = on_loom("loom::time_any").time(TimeMode::Any).run(|| async {});
    assert!(report.limit().is_some_and(|limit| limit.contains("shuttle")), "{report}");
}

/// The search keeps no trace; the failing execution is reached again with one. The lost
/// update needs a preemption, which loom's search tries only after its first executions,
/// so the second run must be cut at the very execution that failed.
#[test]
fn a_loom_failure_shows_the_trace_of_the_execution_that_failed() {
    let lost_update = || async {
        let n = Arc::new(Mutex::new(0));
        let task = racewright::spawn({
            let n = n.clone();
            async move {
                let seen = *n.lock().await;
                *n.lock().await = seen + 1;
            }
        });
        let seen = *n.lock().await;
        *n.lock().await = seen + 1;
        task.await.unwrap();
        assert_eq!(*n.lock().await, 2, "an increment was lost");
    };
    let report = on_loom("loom::traced").run(lost_update);
    assert_eq!(report.failure().map(|f| f.kind()), Some(FailureKind::Panic), "{report}");
    let execution = report.failing_execution().expect("a failing execution");
    assert!(execution > 1, "{report}");
    let text = report.to_string();
    let timeline = &text[text.find("timeline").expect("a timeline")..];
    assert!(timeline.contains("Mutex::lock") && timeline.contains("panicked"), "{report}");

    let untraced = on_loom("loom::traced").record_trace(false).run(lost_update);
    assert_eq!(untraced.failing_execution(), Some(execution), "{untraced}");
    assert!(!untraced.to_string().contains("Mutex::lock"), "{untraced}");
}

#[test]
fn virtual_time_and_leaks_work_on_loom() {
    let report = on_loom("loom::time").leaks(Policy::Deny).run(|| async {
        let (tx, rx) = oneshot::channel::<()>();
        drop(
            racewright::task::Builder::new()
                .name("sleeper")
                .spawn(async move {
                    racewright::time::sleep(std::time::Duration::from_secs(3600)).await;
                    let _ = rx.await;
                })
                .unwrap(),
        );
        racewright::time::sleep(std::time::Duration::from_secs(7200)).await;
        std::mem::forget(tx);
    });
    let failure = report.failure().expect("the sleeper waits forever on a channel nobody closes");
    assert_eq!(failure.kind(), FailureKind::Leak, "{report}");
    assert!(report.to_string().contains("\"sleeper\""), "{report}");
}

/// A loom child that dies takes only itself: the parent reports it, and this binary's
/// other tests run on.
#[racewright::test(engine = "loom")]
#[should_panic(expected = "the loom child process died")]
async fn a_child_that_dies_is_reported_not_fatal() {
    std::process::abort();
}

#[test]
fn all_runs_loom_after_shuttle_when_the_scenario_fits() {
    let fits = Scenario::new("loom::all_fits").engine(EngineChoice::All).iterations(50).run(|| async {
        racewright::spawn(async {}).await.unwrap();
    });
    assert!(fits.failure().is_none() && fits.limit().is_none(), "{fits}");
    assert_eq!(fits.engine(), "shuttle");
    assert!(fits.also()[0].engine == "loom" && fits.also()[0].verdict.contains("exhaustive"), "{fits}");

    let crowded = Scenario::new("loom::all_crowded").engine(EngineChoice::All).iterations(50).run(|| async {
        for task in (0..5).map(|i| racewright::spawn(async move { i })).collect::<Vec<_>>() {
            task.await.unwrap();
        }
    });
    assert!(crowded.failure().is_none() && crowded.limit().is_none(), "{crowded}");
    assert!(crowded.to_string().contains("also loom: skipped: the scenario spawned 5 tasks"), "{crowded}");
}

/// Ordinary correct scenarios of 3 or 4 tasks finish loom's search with the default
/// settings: an incomplete search would fail them (it is never a pass).
mod loom_defaults_let_small_scenarios_finish {
    use racewright::sync::{Mutex, mpsc, oneshot};
    use racewright::task::JoinSet;
    use std::sync::Arc;

    #[racewright::test(engine = "loom")]
    async fn join_set_fan_out() {
        let mut set = JoinSet::new();
        for i in 0..3u32 {
            set.spawn(async move { i * 2 });
        }
        let mut sum = 0;
        while let Some(result) = set.join_next().await {
            sum += result.unwrap();
        }
        assert_eq!(sum, 6);
    }

    #[racewright::test(engine = "loom")]
    async fn an_actor_with_two_clients() {
        let (requests, mut inbox) = mpsc::channel::<(u32, oneshot::Sender<u32>)>(2);
        let actor = racewright::spawn(async move {
            while let Some((value, reply)) = inbox.recv().await {
                let _ = reply.send(value + 1);
            }
        });
        let clients: Vec<_> = (0..2u32)
            .map(|value| {
                let requests = requests.clone();
                racewright::spawn(async move {
                    let (reply, answer) = oneshot::channel();
                    requests.send((value, reply)).await.unwrap();
                    assert_eq!(answer.await.unwrap(), value + 1);
                })
            })
            .collect();
        drop(requests);
        for client in clients {
            client.await.unwrap();
        }
        actor.await.unwrap();
    }

    #[racewright::test(engine = "loom")]
    async fn a_pool_of_three_workers() {
        let work = Arc::new(Mutex::new(vec![1u32, 2, 3, 4]));
        let done = Arc::new(Mutex::new(0u32));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (work, done) = (work.clone(), done.clone());
                racewright::spawn(async move {
                    loop {
                        let item = work.lock().await.pop();
                        match item {
                            Some(value) => *done.lock().await += value,
                            None => break,
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        assert_eq!(*done.lock().await, 10);
    }
}

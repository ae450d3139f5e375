//! racewright cannot see `std::sync::atomic`: a lost update through one is found on
//! shuttle (a `yield_now` splits the racy steps) but passes on loom, which reorders only
//! what touches the same loom object. Such a pass is not silent: its report and summary
//! say that only one interleaving was possible. The same scenario on racewright's atomics
//! fails on both engines, and a scenario whose tasks do interleave carries no note.

use std::sync::Arc;

use racewright::{EngineChoice, FailureKind, Report, Scenario};

const NOTE: &str = "note: only one interleaving was possible: loom found no point where a task could run between";

/// Two tasks increment a counter with a load, a yield and a store: a lost update.
macro_rules! lost_update {
    ($atomic:ty) => {
        || async {
            let hits = Arc::new(<$atomic>::new(0));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let hits = hits.clone();
                    racewright::spawn(async move {
                        let seen = hits.load(std::sync::atomic::Ordering::SeqCst);
                        racewright::task::yield_now().await;
                        hits.store(seen + 1, std::sync::atomic::Ordering::SeqCst);
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
        }
    };
}

fn on(engine: EngineChoice, name: &str) -> Scenario {
    Scenario::new(name).engine(engine)
}

fn kind(report: &Report) -> Option<FailureKind> {
    report.failure().map(|failure| failure.kind())
}

#[test]
fn a_race_through_a_std_atomic_passes_on_loom_with_a_note_and_fails_on_shuttle() {
    let shuttle = on(EngineChoice::Shuttle, "std_atomics::shuttle").run(lost_update!(std::sync::atomic::AtomicUsize));
    assert_eq!(kind(&shuttle), Some(FailureKind::Panic), "{shuttle}");

    let loom = on(EngineChoice::Loom, "std_atomics::loom").run(lost_update!(std::sync::atomic::AtomicUsize));
    assert_eq!(kind(&loom), None, "loom cannot see std atomics: {loom}");
    assert_eq!(loom.notes().len(), 1, "{loom}");
    assert!(loom.summary().contains(NOTE), "{}", loom.summary());
    assert!(loom.to_string().contains(NOTE), "{loom}");
    assert!(loom.to_string().contains("std::sync::atomic"), "{loom}");
}

#[test]
fn the_same_race_through_racewright_atomics_fails_on_both_engines_without_a_note() {
    for engine in [EngineChoice::Shuttle, EngineChoice::Loom] {
        let report = on(engine, "std_atomics::racewright").run(lost_update!(racewright::sync::atomic::AtomicUsize));
        assert_eq!(kind(&report), Some(FailureKind::Panic), "{report}");
        assert!(report.notes().is_empty(), "{report}");
    }
}

#[test]
fn tasks_that_interleave_carry_no_note() {
    for engine in [EngineChoice::Shuttle, EngineChoice::Loom] {
        let report = on(engine, "std_atomics::interleaved").run(|| async {
            let total = Arc::new(racewright::sync::Mutex::new(0));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let total = total.clone();
                    racewright::spawn(async move {
                        let mut guard = total.lock().await;
                        racewright::task::yield_now().await;
                        *guard += 1;
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(*total.lock().await, 2);
        });
        assert_eq!(kind(&report), None, "{report}");
        assert!(report.notes().is_empty(), "{engine}: {}", report.summary());
    }
}

#[test]
fn a_scenario_whose_tasks_each_take_one_step_has_nothing_to_interleave_and_no_note() {
    let report = on(EngineChoice::Loom, "std_atomics::one_step").run(|| async {
        let task = racewright::spawn(async { 1 });
        assert_eq!(task.await.unwrap(), 1);
    });
    assert_eq!(kind(&report), None, "{report}");
    assert!(report.notes().is_empty(), "{}", report.summary());
}

/// The body lets go at once: the task's steps always run in one go.
async fn sequential() {
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let _task = racewright::spawn(async move {
        let seen = hits.load(std::sync::atomic::Ordering::SeqCst);
        racewright::task::yield_now().await;
        hits.store(seen + 1, std::sync::atomic::Ordering::SeqCst);
    });
}

#[test]
fn a_shuttle_sample_that_never_interleaved_the_tasks_says_so() {
    let report = on(EngineChoice::Shuttle, "std_atomics::sequential").iterations(200).run(sequential);
    assert_eq!(kind(&report), None, "{report}");
    let note = "note: no execution interleaved the tasks: none ran a task between two steps of another";
    assert!(report.summary().contains(note), "{}", report.summary());

    // Fewer executions than 100 vouch for too little to say.
    let small = on(EngineChoice::Shuttle, "std_atomics::sequential").iterations(20).run(sequential);
    assert!(small.notes().is_empty(), "{}", small.summary());
}

//! The lanes of an exploration on the idle cores: only when its executions leave each
//! other alone, and with the same verdict whatever the number of threads.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use racewright::Scenario;
use racewright_tests::racy_increments;

/// A body whose every other execution takes one more step: each depends on the ones
/// before it, through a `static`.
async fn counts_its_runs(runs: &'static AtomicUsize, threads: &'static Mutex<BTreeSet<String>>) {
    let name = std::thread::current().name().unwrap_or_default().to_string();
    threads.lock().unwrap().insert(name);
    if runs.fetch_add(1, Ordering::SeqCst) % 2 == 1 {
        racewright::task::yield_now().await;
    }
    let task = racewright::spawn(async {});
    task.await.unwrap();
}

#[test]
fn executions_that_carry_state_explore_on_one_thread_with_a_note() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    static THREADS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let report = Scenario::new("lanes::carries_state").iterations(400).run(|| counts_its_runs(&RUNS, &THREADS));
    assert!(report.failure().is_none(), "{report}");
    assert!(report.notes().iter().any(|note| note.contains("the executions share state")), "{report}");
    assert!(!THREADS.lock().unwrap().contains("racewright-lane"), "{:?}", THREADS.lock().unwrap());
    // Declared: no probe, no note.
    let declared =
        Scenario::new("lanes::carries_state").iterations(400).threads(1).run(|| counts_its_runs(&RUNS, &THREADS));
    assert!(declared.notes().iter().all(|note| !note.contains("the executions share state")), "{declared}");
}

#[test]
fn the_verdict_is_the_same_whatever_the_threads() {
    let scenario = Scenario::new("lanes::racy_increments").iterations(2000);
    let default = scenario.clone().run(racy_increments).to_string();
    for threads in [1, 2, 4] {
        let report = scenario.clone().threads(threads).run(racy_increments).to_string();
        assert_eq!(report, default, "threads({threads})");
    }
}

#[test]
fn a_racewright_primitive_in_a_static_keeps_the_lanes_on_one_thread() {
    // Concurrent executions would take the one mutex at the same time.
    static SHARED: racewright::sync::Mutex<u32> = racewright::sync::Mutex::const_new(0);
    static THREADS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let report = Scenario::new("lanes::static_mutex").iterations(400).run(|| async {
        let name = std::thread::current().name().unwrap_or_default().to_string();
        THREADS.lock().unwrap().insert(name);
        let task = racewright::spawn(async { *SHARED.lock().await += 1 });
        *SHARED.lock().await += 1;
        task.await.unwrap();
    });
    assert!(report.failure().is_none(), "{report}");
    assert!(report.notes().iter().any(|note| note.contains("the executions share state")), "{report}");
    assert!(!THREADS.lock().unwrap().contains("racewright-lane"), "{:?}", THREADS.lock().unwrap());
}

//! A test run alone explores on every core: its own binary, so that no other exploration
//! of the process holds a core while it runs.

use std::collections::BTreeSet;
use std::sync::Mutex;

use racewright::Scenario;

#[test]
fn executions_that_leave_each_other_alone_run_on_the_idle_cores() {
    static THREADS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let report = Scenario::new("idle_cores::independent").iterations(400).run(|| async {
        let name = std::thread::current().name().unwrap_or_default().to_string();
        THREADS.lock().unwrap().insert(name);
        let task = racewright::spawn(async { racewright::task::yield_now().await });
        racewright::task::yield_now().await;
        task.await.unwrap();
    });
    assert!(report.failure().is_none() && report.notes().is_empty(), "{report}");
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    let threads = THREADS.lock().unwrap();
    // Lanes on a helper thread are named for it; with one core there is none.
    assert_eq!(threads.contains("racewright-lane"), cores > 1, "{threads:?}");
}

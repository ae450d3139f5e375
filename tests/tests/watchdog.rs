//! An execution stuck outside racewright's control (a task that spins without a single
//! racewright call) fails its test within the stall limit, with a report that says which
//! task is stuck after which call, announced on the terminal even when the output is
//! captured; and the other tests of the binary still run and report.

use std::path::PathBuf;
use std::process::Command;

/// Set for the run of this binary that the test below starts: the `child_` tests do
/// their part only then.
const CHILD: &str = "RACEWRIGHT_WATCHDOG_CHILD";

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Spins on a real atomic, with no racewright call: the scheduler never gets control back.
fn spin_forever() {
    let flag = std::sync::atomic::AtomicBool::new(false);
    while !flag.load(std::sync::atomic::Ordering::SeqCst) {
        std::hint::spin_loop();
    }
}

#[racewright::test]
async fn child_spinning_on_shuttle() {
    if !in_child() {
        return;
    }
    let spinner = racewright::task::Builder::new()
        .name("spinner")
        .spawn(async {
            racewright::task::yield_now().await;
            spin_forever();
        })
        .unwrap();
    spinner.await.unwrap();
}

#[racewright::test(engine = "loom")]
async fn child_spinning_on_loom() {
    if !in_child() {
        return;
    }
    let spinner = racewright::task::Builder::new()
        .name("spinner")
        .spawn(async {
            racewright::task::yield_now().await;
            spin_forever();
        })
        .unwrap();
    spinner.await.unwrap();
}

#[racewright::test]
async fn child_passing() {
    let (tx, rx) = racewright::sync::oneshot::channel();
    let _sender = racewright::spawn(async move { tx.send(7).unwrap() });
    assert_eq!(rx.await.unwrap(), 7);
}

#[test]
fn a_stuck_test_fails_with_its_report_and_the_other_tests_still_run() {
    if in_child() {
        return;
    }
    let target = std::env::temp_dir().join(format!("racewright-watchdog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&target);
    // Without --nocapture: libtest captures what the tests print.
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["child_", "--test-threads", "3"])
        .env(CHILD, "1")
        .env("RACEWRIGHT_STALL", "1")
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let both = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!output.status.success(), "{both}");
    // Every test has its verdict: the stuck ones fail, the other passes.
    assert!(stdout.contains("test child_passing ... ok"), "{both}");
    assert!(stdout.contains("test child_spinning_on_shuttle ... FAILED"), "{both}");
    assert!(stdout.contains("test child_spinning_on_loom ... FAILED"), "{both}");
    assert!(stdout.contains("test result: FAILED. 1 passed; 2 failed"), "{both}");

    // Announced at once on the real stderr, uncaptured: the test, why, and where.
    let announced = "racewright: `watchdog::child_spinning_on_shuttle` is stuck: no scheduling point for 1s";
    assert!(stderr.contains(announced), "{both}");
    let stuck = "task #1 \"spinner\" runs since step";
    let last_call = "its last racewright call was `yield_now` at tests/tests/watchdog.rs:";
    assert!(stderr.contains(stuck) && stderr.contains(last_call), "{both}");
    // The other task's last call, which it made before the spinner ran.
    let other = "task #0 \"main\" last called `spawn` at tests/tests/watchdog.rs:";
    assert!(stderr.contains(other), "{both}");

    // The failures carry the report, written under target/racewright/.
    for (engine, test) in [("shuttle", "child_spinning_on_shuttle"), ("loom", "child_spinning_on_loom")] {
        assert!(stdout.contains(&format!("racewright: FAILED (step_limit): watchdog::{test}")), "{both}");
        assert!(stdout.contains(&format!("engine {engine}")), "{both}");
        let written: PathBuf = target.join("racewright").join(format!("watchdog__{test}.txt"));
        let report = std::fs::read_to_string(&written).unwrap_or_else(|error| panic!("{written:?}: {error}\n{both}"));
        assert!(report.contains("step_limit: no scheduling point for 1s"), "{report}");
        assert!(report.contains(stuck) && report.contains(last_call), "{report}");
    }
    let _ = std::fs::remove_dir_all(&target);
}

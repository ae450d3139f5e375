//! The engines print nothing of their own. A finding stops its execution at the next
//! scheduling point; a task that blocks before one (here the body, awaiting a consumer
//! that sleeps, right after the send that put the queue past its bound) must not leave
//! shuttle with no task to run, which shuttle takes for a deadlock and says so on stderr.

use std::process::Command;

use racewright_scenarios::{Variant, unbounded_event_queue::scenario};

#[racewright::test(expect = "unbounded_growth", max_queue = 4)]
#[ignore = "run in a child process by the test below"]
async fn child_stopped_by_unbounded_growth() {
    scenario(Variant::Buggy).await
}

#[test]
fn an_execution_stopped_by_a_finding_leaves_shuttle_nothing_to_print() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_stopped_by_unbounded_growth", "--test-threads=1", "--nocapture"])
        .env("RACEWRIGHT_REGRESSIONS", "off")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("1 passed"), "stdout:\n{stdout}");
    assert!(!stderr.contains("deadlock") && !stderr.contains("SHUTTLE"), "stderr:\n{stderr}");
}

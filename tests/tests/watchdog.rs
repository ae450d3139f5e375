//! An execution stuck outside racewright's control ends the process with a message
//! instead of hanging CI.

/// Runs the stuck scenario in a child process (this test binary, filtered to it), with a
/// short budget, and checks that the child ends with the watchdog's message.
#[test]
fn a_task_spinning_without_scheduling_points_is_stopped_with_a_message() {
    if std::env::var_os("RACEWRIGHT_WATCHDOG_CHILD").is_some() {
        let _ =
            racewright::Scenario::new("watchdog::stuck").budget(std::time::Duration::from_millis(100)).run(|| async {
                let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                // Real atomics, no facade call: the scheduler never gets control back.
                while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
            });
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_task_spinning_without_scheduling_points_is_stopped_with_a_message", "--nocapture"])
        .env("RACEWRIGHT_WATCHDOG_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("watchdog::stuck") && stderr.contains("reached no scheduling point"), "{stderr}");
}

//! A failing test keeps its schedule in `racewright-regressions/` beside its package's
//! sources; `RACEWRIGHT_REGRESSIONS` controls that: `replay-only` replays the kept
//! schedules but writes nothing, `off` neither reads nor writes.
//!
//! Each case runs the ignored test below in a child process, with the "package" in a
//! fresh temporary directory, and looks at what was written and what was replayed.

use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE_DIR: &str = "KEPT_FAILURES_PACKAGE_DIR";

#[test]
#[ignore = "run in a child process by the tests below"]
fn child_that_fails() {
    let package = std::env::var(PACKAGE_DIR).unwrap();
    let scenario = racewright::Scenario::new("kept_failures::child_that_fails").iterations(10).__origin(
        "racewright-tests",
        "kept_failures",
        &package,
        "kept_failures",
        "child_that_fails",
    );
    racewright::__private::run_test(scenario, None, || async {
        let handle = racewright::spawn(async { 1 });
        assert_eq!(handle.await.unwrap(), 2);
    });
}

/// A fresh directory for the child's package, with `kept` as its regression file if given.
fn package(case: &str, kept: Option<&str>) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("racewright-kept-failures-{}-{case}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    if let Some(kept) = kept {
        std::fs::create_dir_all(directory.join("racewright-regressions")).unwrap();
        std::fs::write(regression_file(&directory), format!("{kept}\n")).unwrap();
    }
    directory
}

fn regression_file(package: &Path) -> PathBuf {
    package.join("racewright-regressions").join("kept_failures__child_that_fails.txt")
}

/// Runs the child in `package` with `RACEWRIGHT_REGRESSIONS=mode` (unset for `None`) and
/// returns what it printed.
fn run_child(package: &Path, mode: Option<&str>) -> String {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args(["--ignored", "--exact", "child_that_fails"]).env(PACKAGE_DIR, package).env("RUST_BACKTRACE", "0");
    match mode {
        Some(mode) => child.env("RACEWRIGHT_REGRESSIONS", mode),
        None => child.env_remove("RACEWRIGHT_REGRESSIONS"),
    };
    let output = child.output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "the child should fail:\n{printed}");
    printed
}

const UNREADABLE: &str = "not-a-token";

#[test]
fn by_default_a_failure_is_kept_and_kept_schedules_are_replayed() {
    let fresh = package("default", None);
    run_child(&fresh, None);
    let kept = std::fs::read_to_string(regression_file(&fresh)).unwrap();
    assert!(kept.lines().any(|line| line.starts_with("v2.shuttle.")), "{kept}");

    let with_kept = package("default-read", Some(UNREADABLE));
    let printed = run_child(&with_kept, None);
    assert!(printed.contains("skipping a kept schedule"), "{printed}");
    remove(&[fresh, with_kept]);
}

#[test]
fn replay_only_replays_kept_schedules_and_writes_nothing() {
    let fresh = package("replay-only", None);
    run_child(&fresh, Some("replay-only"));
    assert!(!fresh.join("racewright-regressions").exists());

    let with_kept = package("replay-only-read", Some(UNREADABLE));
    let printed = run_child(&with_kept, Some("replay-only"));
    assert!(printed.contains("skipping a kept schedule"), "{printed}");
    assert_eq!(std::fs::read_to_string(regression_file(&with_kept)).unwrap(), format!("{UNREADABLE}\n"));
    remove(&[fresh, with_kept]);
}

#[test]
fn off_neither_reads_nor_writes_regression_files() {
    let fresh = package("off", None);
    run_child(&fresh, Some("off"));
    assert!(!fresh.join("racewright-regressions").exists());

    let with_kept = package("off-read", Some(UNREADABLE));
    let printed = run_child(&with_kept, Some("off"));
    assert!(!printed.contains("skipping a kept schedule"), "{printed}");
    assert_eq!(std::fs::read_to_string(regression_file(&with_kept)).unwrap(), format!("{UNREADABLE}\n"));
    remove(&[fresh, with_kept]);
}

fn remove(packages: &[PathBuf]) {
    for package in packages {
        let _ = std::fs::remove_dir_all(package);
    }
}

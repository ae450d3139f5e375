//! A failing `#[racewright::test]` panics at the test, not inside racewright: the first
//! line `cargo test` prints for it, `thread '...' panicked at <file>:<line>:<column>:`,
//! is the test's own `#[racewright::test]` line.
//!
//! Each case runs one of the ignored tests below in a child process (this test binary,
//! filtered to it) and reads what the child printed.

use std::process::Command;

#[racewright::test(iterations = 10)]
#[ignore = "run in a child process by the tests below"]
async fn child_that_fails() {
    let handle = racewright::spawn(async { 1 });
    assert_eq!(handle.await.unwrap(), 2, "the failure of the child");
}

#[racewright::test(iterations = 10, expect = "deadlock")]
#[ignore = "run in a child process by the tests below"]
async fn child_that_expects_a_deadlock_it_does_not_have() {}

#[racewright::test(iterations = 10)]
#[ignore = "run in a child process by the tests below"]
async fn child_that_passes() {}

/// Runs the ignored test `name` in a child with `env` and returns the `panicked at` line
/// of its failure.
fn panic_line_of(name: &str, env: &[(&str, &str)]) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", name, "--test-threads=1"])
        .env("RUST_BACKTRACE", "0")
        // The child's failure is made on purpose: keep no regression file of it.
        .env("RACEWRIGHT_REGRESSIONS", "off")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "the child should fail:\n{printed}");
    printed
        .lines()
        .find(|line| line.contains("panicked at"))
        .unwrap_or_else(|| panic!("no panic in:\n{printed}"))
        .to_string()
}

/// `tests/tests/panic_location.rs:<line>:`, the line of `fn <name>`'s attribute.
fn location_of(name: &str) -> String {
    let source = include_str!("panic_location.rs");
    let function = source
        .lines()
        .position(|line| line == format!("async fn {name}() {{") || line == format!("async fn {name}() {{}}"))
        .unwrap();
    let attribute =
        (0..function).rev().find(|&i| source.lines().nth(i).unwrap().starts_with("#[racewright::test")).unwrap();
    format!("panicked at tests/tests/panic_location.rs:{}:", attribute + 1)
}

#[test]
fn a_failing_test_panics_at_its_own_attribute() {
    let line = panic_line_of("child_that_fails", &[]);
    assert!(line.contains(&location_of("child_that_fails")), "{line}");
}

#[test]
fn a_test_missing_its_expected_failure_panics_at_its_own_attribute() {
    let name = "child_that_expects_a_deadlock_it_does_not_have";
    let line = panic_line_of(name, &[]);
    assert!(line.contains(&location_of(name)), "{line}");
}

#[test]
fn a_bad_environment_variable_panics_at_the_test() {
    let line = panic_line_of("child_that_passes", &[("RACEWRIGHT_ITERATION", "5")]);
    assert!(line.contains(&location_of("child_that_passes")), "{line}");
}

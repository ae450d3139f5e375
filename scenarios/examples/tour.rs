//! A tour of racewright: what it finds in the catalogue of bug patterns, in a page.
//!
//! `cargo run -p racewright-scenarios --example tour [-- NAME...]`
//!
//! Each pattern is explored exactly as its detection test (`tests/detection.rs`) explores
//! it: same name, so the same seed, the same verdict and the same report as the test and
//! its snapshot. The tour prints one line per pattern and the full report of the first
//! pattern (or of each NAME given), whose replay command is the test's.

use racewright::{Report, Scenario};
use racewright_scenarios::{Entry, Variant, catalogue, one_thread};

const PACKAGE: &str = "racewright-scenarios";
const TEST_TARGET: &str = "detection";

/// The scenario of the detection test `<pattern>::<test>`.
fn detection_test(entry: &Entry, test: &str) -> Scenario {
    let module = format!("{TEST_TARGET}::{}", entry.name);
    Scenario::new(format!("{module}::{test}")).__origin(PACKAGE, TEST_TARGET, env!("CARGO_MANIFEST_DIR"), &module, test)
}

/// What a user sees, and the patterns of the catalogue that cause it.
const SYMPTOMS: &[(&str, &str)] = &[
    (
        "hangs, no error, CPU idle",
        "abba_deadlock, mutex_semaphore_abba, notify_check_then_register, notify_one_vs_waiters, \
         select_fresh_listener, handwritten_lost_wakeup, event_poll_ignores_context, join_all_pending_when_done, \
         waker_slot_overwritten",
    ),
    ("hangs only on a current-thread runtime (#[tokio::test])", "condvar_on_current_thread, blocking_guard_in_join"),
    ("requests or jobs vanish at shutdown or on an error", "connection_drops_requests"),
    ("memory grows under load", "unbounded_event_queue, spawn_per_request"),
    ("a count or a pool is off after a timeout or a cancelled call", "pool_cancel, cancelled_counter"),
    ("a wrong value, now and then", "lost_update, double_checked_init, channel_close_vs_send"),
    ("a background task silently stops working", "detached_panic, detached_worker_leak, panic_then_wait"),
    ("a task outlives the shutdown", "spawn_after_shutdown, interval_shutdown_leak"),
    ("an error logged, and the program carries on", "swallowed_error, retry_backoff"),
];

fn executions(count: usize) -> String {
    if count == 1 { "1 execution".to_string() } else { format!("{count} executions") }
}

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let entries: Vec<Entry> = catalogue().into_iter().chain(one_thread()).collect();
    if let Some(unknown) = wanted.iter().find(|name| !entries.iter().any(|entry| entry.name == name.as_str())) {
        let names: Vec<&str> = entries.iter().map(|entry| entry.name).collect();
        eprintln!("tour: no pattern `{unknown}`; the patterns are {}", names.join(", "));
        std::process::exit(2);
    }
    let shown: Vec<&str> = match wanted.is_empty() {
        true => vec![entries[0].name],
        false => wanted.iter().map(String::as_str).collect(),
    };

    println!("racewright tour: {} bug patterns of async Rust (scenarios/src/), each with a fix.", entries.len());
    println!("Each buggy variant must fail with the kind its bug is, each fixed one must pass;");
    println!("racewright explores up to 1000 interleavings of each (shuttle, portfolio strategy)");
    println!("and stops at the first failure.");
    println!();
    let mut reports: Vec<(&str, Report)> = Vec::new();
    let mut surprises = 0;
    for entry in &entries {
        let run = entry.run;
        let buggy = entry.tuned(detection_test(entry, "buggy_is_caught")).run(move || run(Variant::Buggy));
        let fixed = entry.tuned(detection_test(entry, "fixed_passes")).run(move || run(Variant::Fixed));
        let caught = buggy.failures().iter().any(|failure| failure.kind() == entry.expected);
        let buggy_verdict = match caught {
            true => format!("`{}` in {}", entry.expected, executions(buggy.executions())),
            false => {
                surprises += 1;
                format!("!! NOT caught as `{}`", entry.expected)
            }
        };
        let fixed_verdict = match fixed.failure() {
            None => format!("passes all {}", fixed.executions()),
            Some(failure) => {
                surprises += 1;
                format!("!! FAILS as `{}`", failure.kind())
            }
        };
        println!("{:<27} buggy: {buggy_verdict:<38} fixed: {fixed_verdict}", entry.name);
        println!("    {}", entry.what);
        if shown.contains(&entry.name) {
            reports.push((entry.name, buggy));
        }
    }

    for (name, report) in &reports {
        println!();
        println!("The report of `{name}`, as its test `{name}::buggy_is_caught` prints it:");
        println!();
        print!("{report}");
        println!();
        let kind = report.failure().map(|failure| failure.kind().to_string()).unwrap_or_default();
        println!("The test expects this failure (`expect = \"{kind}\"`): its replay command passes while");
        println!("that interleaving still fails this way, and fails once it does not.");
    }

    println!();
    println!("Which pattern is yours? By symptom:");
    for (symptom, patterns) in SYMPTOMS {
        println!("  {symptom}:");
        println!("      {patterns}");
    }
    println!();
    println!("The other reports:");
    println!("  cargo run -p {PACKAGE} --example tour -- NAME...   this tour, with those reports");
    println!("  scenarios/tests/snapshots/{TEST_TARGET}__NAME__buggy_is_caught.snap   each, pinned by its test");
    println!("  cargo test -p {PACKAGE} --test {TEST_TARGET}   every pattern's tests");
    println!("Three patterns need an attribute the tour does not set, and are only in tests/detection.rs:");
    println!("timeout_race (time = \"any\"), relaxed_publication and store_buffer_lost_wakeup (engine = \"loom\").");
    println!("Some patterns carry arguments of their own (max_queue, flavor): the tour sets them as their tests do.");

    if surprises > 0 {
        eprintln!("{surprises} pattern(s) did not behave as the catalogue says");
        std::process::exit(1);
    }
}

//! Replay tokens reproduce the failing execution and its report; shrinking keeps the
//! failure while removing preemptions; nondeterminism is told apart from a bug.

use racewright::sync::Mutex;
use racewright::{FailureKind, Scenario};
use racewright_tests::racy_increments;
use std::sync::Arc;

#[test]
fn a_token_replays_the_same_report() {
    let scenario = Scenario::new("replay::racy_increments").iterations(2000);
    let found = scenario.clone().run(racy_increments);
    let token = found.replay().expect("the failure has a replay token").token.clone();
    let replayed = scenario.replay(token).run(racy_increments);
    assert_eq!(replayed.to_string(), found.to_string());
}

#[test]
fn shrinking_leaves_the_preemptions_the_bug_needs() {
    let report = Scenario::new("replay::shrink").iterations(2000).run(racy_increments);
    assert_eq!(report.failure().unwrap().kind(), FailureKind::Panic, "{report}");
    let text = report.to_string();
    // The lost update needs a task preempted between its load and its store.
    let preemptions: usize = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("preemptions "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("the report says how many preemptions");
    assert!((1..=2).contains(&preemptions), "{text}");
}

#[test]
fn a_token_of_another_test_is_a_clear_error() {
    let found = Scenario::new("replay::one").iterations(2000).run(racy_increments);
    let token = found.replay().unwrap().token.clone();
    let error = std::panic::catch_unwind(|| Scenario::new("replay::another").replay(token).run(racy_increments))
        .expect_err("a foreign token is refused");
    let message = error.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("RACEWRIGHT_REPLAY") && message.contains("another test"), "{message}");
}

#[test]
fn a_scenario_that_reads_the_real_world_is_nondeterministic() {
    // State outside racewright's control (a process-wide flag, as a file or a clock would
    // be) decides whether the bug shows: replaying the same schedule cannot repeat it.
    static FAILED_ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let report = Scenario::new("replay::nondeterministic").iterations(200).run(|| async {
        let n = Arc::new(Mutex::new(0));
        let task = racewright::spawn({
            let n = n.clone();
            async move { *n.lock().await += 1 }
        });
        task.await.unwrap();
        assert!(FAILED_ONCE.swap(true, std::sync::atomic::Ordering::SeqCst), "first time");
        assert_eq!(*n.lock().await, 1);
    });
    let kinds: Vec<_> = report.failures().iter().map(|failure| failure.kind()).collect();
    assert!(kinds.contains(&FailureKind::Nondeterminism), "{report}");
}

#[test]
fn a_failing_test_keeps_its_schedule_and_replays_it_first() {
    let directory = std::env::temp_dir().join(format!("racewright-regressions-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    let scenario = || {
        Scenario::new("replay::kept").iterations(2000).__origin(
            "racewright-tests",
            "replay",
            directory.to_str().unwrap(),
            "replay",
            "kept",
        )
    };
    let first = std::panic::catch_unwind(|| racewright::__private::run_test(scenario(), None, racy_increments))
        .expect_err("the race fails the test");
    let first = first.downcast_ref::<String>().cloned().unwrap_or_default();
    let kept = std::fs::read_to_string(directory.join("racewright-regressions/replay__kept.txt")).unwrap();
    let token = kept.lines().find(|line| line.starts_with("v2.")).expect("the token is kept");
    assert!(first.contains(token), "{first}");

    let second = std::panic::catch_unwind(|| racewright::__private::run_test(scenario(), None, racy_increments))
        .expect_err("the kept schedule fails again");
    let second = second.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(second.contains("replayed first"), "{second}");
    let _ = std::fs::remove_dir_all(&directory);
}

fn replay_error(
    name: &str,
    token: String,
    body: fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
) -> String {
    let error =
        std::panic::catch_unwind(|| Scenario::new(name).replay(token).run(body)).expect_err("the replay is refused");
    error.downcast_ref::<String>().cloned().unwrap_or_default()
}

fn racy() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(racy_increments())
}

#[test]
fn a_token_cut_short_is_refused_wherever_it_is_cut() {
    let found = Scenario::new("replay::cut").iterations(2000).run(racy_increments);
    let token = found.replay().unwrap().token.clone();
    // Every cut that still looks like a token: after the header, within the choices, the checksum.
    for end in (token.find(".0").unwrap_or(20) + 2..token.len()).step_by(3) {
        let message = replay_error("replay::cut", token[..end].to_string(), racy);
        assert!(message.contains("RACEWRIGHT_REPLAY") && message.contains("damaged"), "{}: {message}", &token[..end]);
    }
}

#[test]
fn a_replay_that_does_not_fail_as_its_token_says_is_an_error() {
    let found = Scenario::new("replay::changed").iterations(2000).run(racy_increments);
    let token = found.replay().unwrap().token.clone();
    // The code changed since the token was made: the same schedule no longer fails.
    fn fixed() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
        Box::pin(async {
            let counter = Arc::new(Mutex::new(0));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let counter = counter.clone();
                    racewright::spawn(async move { *counter.lock().await += 1 })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(*counter.lock().await, 2);
        })
    }
    let message = replay_error("replay::changed", token, fixed);
    assert!(message.contains("RACEWRIGHT_REPLAY") && message.contains("ends in `panic`"), "{message}");
}

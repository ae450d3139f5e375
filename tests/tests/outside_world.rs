//! What the test does outside racewright's reach is said, not silently passed over: a
//! `tokio::spawn` inside a test fails with advice, a thread of the test's own and a tokio
//! runtime of its own are notes of the report.

use std::time::Duration;

use racewright::{FailureKind, Report, Scenario};

fn kind(report: &Report) -> Option<FailureKind> {
    report.failure().map(|failure| failure.kind())
}

const ADVICE: &str = "use racewright::spawn and racewright's primitives, or racewright's tokio switch (README)";

#[test]
fn tokio_spawn_inside_a_test_is_a_panic_that_points_to_racewright_spawn() {
    let report = Scenario::new("outside_world::tokio_spawn").run(|| async {
        drop(tokio::spawn(async {}));
    });
    assert_eq!(kind(&report), Some(FailureKind::Panic), "{report}");
    let failure = report.failure().unwrap();
    assert!(failure.message().contains("there is no reactor running"), "{report}");
    assert!(failure.details().iter().any(|detail| detail.contains(ADVICE)), "{report}");
    assert!(report.to_string().contains(ADVICE), "{report}");
}

#[test]
fn tokio_time_in_a_task_nobody_awaits_is_an_unhandled_panic_with_the_same_advice() {
    let report = Scenario::new("outside_world::tokio_sleep_in_task").run(|| async {
        let _detached = racewright::spawn(async { tokio::time::sleep(Duration::from_millis(1)).await });
    });
    assert_eq!(kind(&report), Some(FailureKind::UnhandledPanic), "{report}");
    assert!(report.failure().unwrap().details().iter().any(|detail| detail.contains(ADVICE)), "{report}");
}

#[test]
fn other_panics_get_no_advice() {
    let report = Scenario::new("outside_world::plain_panic").run(|| async {
        let answer = racewright::spawn(async { 41 }).await.unwrap();
        assert_eq!(answer, 42);
    });
    assert_eq!(kind(&report), Some(FailureKind::Panic), "{report}");
    assert!(!report.to_string().contains("tokio"), "{report}");
}

#[test]
fn a_thread_of_the_test_s_own_is_a_note() {
    let report = Scenario::new("outside_world::thread").iterations(3).run(|| async {
        // Still running when the exploration ends, which the watchdog sees.
        std::thread::spawn(|| std::thread::sleep(Duration::from_millis(500)));
    });
    assert_eq!(kind(&report), None, "{report}");
    let note = "note: the test ran a thread of its own (std::thread::spawn) during the exploration";
    assert!(report.summary().contains(note), "{}", report.summary());
    assert!(report.to_string().contains(note), "{report}");
}

#[test]
fn a_thread_an_earlier_exploration_left_running_is_not_the_next_one_s() {
    let note = "note: the test ran a thread of its own (std::thread::spawn) during the exploration";
    // Both explored by this test thread's explorer, one after the other.
    let first = Scenario::new("outside_world::leaves_a_thread").iterations(1).threads(1).run(|| async {
        std::thread::spawn(|| std::thread::sleep(Duration::from_millis(1_000)));
    });
    assert!(first.summary().contains(note), "{}", first.summary());
    let next = Scenario::new("outside_world::after_a_thread").iterations(1).threads(1).run(|| async {});
    assert!(next.notes().is_empty(), "{}", next.summary());
}

#[test]
fn a_tokio_runtime_of_the_test_s_own_is_a_note() {
    let report = Scenario::new("outside_world::runtime").iterations(5).run(|| async {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let hits = racewright::sync::atomic::AtomicUsize::new(0);
        runtime.block_on(async { hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst) });
    });
    assert_eq!(kind(&report), None, "{report}");
    let note = "note: racewright was called inside a tokio runtime of the test's own (Runtime::block_on?)";
    assert!(report.summary().contains(note), "{}", report.summary());
}

#[test]
fn a_test_that_stays_inside_racewright_has_no_notes() {
    let report = Scenario::new("outside_world::inside").run(|| async {
        let task = racewright::spawn(async { racewright::task::yield_now().await });
        racewright::task::yield_now().await;
        task.await.unwrap();
    });
    assert_eq!(kind(&report), None, "{report}");
    assert!(report.notes().is_empty(), "{}", report.summary());
}

/// Set for the run of this binary that the test below starts.
const CHILD: &str = "RACEWRIGHT_WATCHDOG_CHILD";

#[racewright::test(iterations = 3)]
async fn child_with_a_thread_of_its_own() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    std::thread::spawn(|| std::thread::sleep(Duration::from_millis(500)));
}

#[test]
fn a_passing_test_s_notes_reach_the_terminal_when_the_output_is_captured() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_with_a_thread_of_its_own", "--exact"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("test child_with_a_thread_of_its_own ... ok"), "{stdout}");
    let announced = "racewright: `outside_world::child_with_a_thread_of_its_own` passed, but:\n  note: the test ran a \
                     thread of its own";
    assert!(stderr.contains(announced), "{stderr}");
}

//! A report's timeline fits a 100-column terminal whatever the number of tasks; the JSON
//! form keeps every event whole.

use racewright::Scenario;
use racewright::sync::Mutex;
use std::sync::Arc;

const WIDTH: usize = 100;

/// `workers` named tasks each lock, yield and write back a shared counter: a lost update
/// with long operation details (the mutex's values) in every column.
fn lost_update_with(workers: usize) -> racewright::Report {
    Scenario::new(format!("report_width::workers_{workers}")).iterations(200).run(move || async move {
        let total = Arc::new(Mutex::new(0_u64));
        let tasks: Vec<_> = (0..workers)
            .map(|index| {
                let total = total.clone();
                racewright::task::Builder::new()
                    .name(&format!("worker with a long name {index}"))
                    .spawn(async move {
                        let seen = *total.lock().await;
                        racewright::task::yield_now().await;
                        *total.lock().await = seen + 1;
                    })
                    .unwrap()
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*total.lock().await, workers as u64, "an update of one of the many workers was lost");
    })
}

/// The timeline: from its title to the first blank line.
fn timeline(text: &str) -> Vec<&str> {
    text.lines().skip_while(|line| !line.starts_with("timeline")).take_while(|line| !line.is_empty()).collect()
}

#[test]
fn the_timeline_fits_100_columns_for_any_number_of_tasks() {
    for workers in 2..=7 {
        let report = lost_update_with(workers);
        assert!(report.failure().is_some(), "{report}");
        let text = report.to_string();
        let timeline = timeline(&text);
        assert!(timeline.len() > 2, "{text}");
        for line in &timeline[1..] {
            assert!(line.chars().count() <= WIDTH, "{} columns with {workers} workers:\n{line}", line.chars().count());
        }
        // Every task is named, in a column of its own or in the rows of its events.
        for index in 0..workers {
            assert!(timeline.iter().any(|line| line.contains(&format!("#{}", index + 1))), "{text}");
        }
    }
}

#[test]
fn the_json_keeps_what_the_text_cuts() {
    let report = lost_update_with(4);
    let json = report.to_json();
    assert!(json.contains("an update of one of the many workers was lost"), "{json}");
    let text = report.to_string();
    let panicked = timeline(&text).into_iter().find(|line| line.contains("panicked")).unwrap().to_string();
    assert!(!panicked.contains("many workers was lost"), "the text cell is cut: {panicked}");
}

/// A task's `assert_eq!`, whose values follow its message on lines of their own, keeps the
/// timeline a table: every row has the header's columns.
#[test]
fn a_panic_message_of_several_lines_stays_in_its_cell() {
    let report = Scenario::new("report_width::assert_eq_in_a_task").run(|| async {
        let task = racewright::spawn(async {
            assert_eq!(1 + 1, 3, "the task's arithmetic");
        });
        task.await.unwrap();
    });
    let text = report.to_string();
    let timeline = timeline(&text);
    let bars = |line: &str| -> Vec<usize> {
        line.chars().enumerate().filter(|(_, c)| *c == '|').map(|(column, _)| column).collect()
    };
    let header = bars(timeline[1]);
    for line in &timeline[2..] {
        assert_eq!(bars(line), header, "a row out of the table:\n{text}");
    }
    assert!(timeline.iter().any(|line| line.contains("panicked")), "{text}");
    // The values are the headline's.
    assert!(text.contains("left: 2"), "{text}");
}

/// A spin loop runs to the step limit: its timeline, too long to show whole, shows the
/// loop's events once and how many times they came again, and what led into the loop.
#[test]
fn a_spin_loop_is_folded_and_what_led_into_it_shows() {
    use racewright::sync::atomic::{AtomicBool, Ordering};
    let report = Scenario::new("report_width::spin_loop").iterations(10).max_steps(200).run(|| async {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = flag.clone();
        let spinner = racewright::spawn(async move {
            while !seen.load(Ordering::Acquire) {
                racewright::task::yield_now().await;
            }
        });
        spinner.await.unwrap();
        flag.store(true, Ordering::Release);
    });
    assert_eq!(report.failure().map(|failure| failure.kind()), Some(racewright::FailureKind::StepLimit), "{report}");
    let text = report.to_string();
    let timeline = timeline(&text);
    assert!(timeline[0].contains("repeats folded"), "{text}");
    assert!(timeline.iter().any(|line| line.contains("spawn task #1")), "the loop's start is cut:\n{text}");
    assert!(timeline.iter().any(|line| line.contains("the 2 events above again")), "{text}");
    assert!(timeline.len() < 10, "{text}");
}

/// A timeline cut to its last rows says how many preemptions the rows cut off held, so
/// that the marks add up to the verdict's count.
#[test]
fn a_cut_timeline_counts_the_preemptions_it_cut_off() {
    use racewright::sync::atomic::{AtomicUsize, Ordering};
    let report = Scenario::new("report_width::early_preemptions").run(|| async {
        let (first, second, counter) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), AtomicUsize::new(0));
        let (a, b) = (first.clone(), second.clone());
        let writer = racewright::spawn(async move {
            a.store(1, Ordering::SeqCst);
            b.store(1, Ordering::SeqCst);
        });
        let seen = (first.load(Ordering::SeqCst), second.load(Ordering::SeqCst));
        // Enough events after the race to push it out of the last 60 rows.
        for i in 0..80 {
            counter.store(i, Ordering::SeqCst);
        }
        writer.await.unwrap();
        assert!(seen != (1, 0), "saw the first store without the second");
    });
    assert_eq!(report.failure().map(|failure| failure.kind()), Some(racewright::FailureKind::Panic), "{report}");
    let text = report.to_string();
    let shown = text.lines().filter(|line| line.trim_start().starts_with('»')).count();
    assert_eq!(shown, 0, "the race is not cut off:\n{text}");
    assert!(text.contains("earlier events, 2 preemptions among them"), "{text}");
    assert!(text.contains("preemptions 2"), "{text}");
}

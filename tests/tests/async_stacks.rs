//! Async stacks: a report says, for each task alive at the end or dead of a panic, the
//! racewright operation it waits in and the `tracing` spans it is in, across its awaits;
//! `tracing` events carry the spans they were emitted in.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use racewright::sync::{Mutex, oneshot};
use racewright::{EngineChoice, FailureKind, Report, Scenario, StackFrame};
use tracing::{Instrument, instrument};

fn spans(report: &Report, task: usize) -> Vec<String> {
    report.tasks()[task]
        .stack
        .iter()
        .filter_map(|frame| match frame {
            StackFrame::Span { span, .. } => Some(span.clone()),
            StackFrame::Wait { .. } => None,
        })
        .collect()
}

fn kinds(report: &Report) -> Vec<FailureKind> {
    report.failures().iter().map(|failure| failure.kind()).collect()
}

/// Waits for a value nobody sends.
#[instrument(skip(never))]
async fn fetch(key: &'static str, never: oneshot::Receiver<u32>) -> Option<u32> {
    never.await.ok()
}

#[instrument(skip(never))]
async fn refresh(attempt: u32, never: oneshot::Receiver<u32>) {
    let _ = fetch("config", never).await;
}

#[test]
fn a_blocked_task_s_stack_is_its_wait_then_its_spans_innermost_first() {
    let report = Scenario::new("async_stacks::leak").run(|| async {
        let (sender, never) = oneshot::channel::<u32>();
        let worker = racewright::task::Builder::new().name("refresher").spawn(refresh(3, never)).unwrap();
        std::mem::forget(sender);
        drop(worker);
    });
    assert_eq!(kinds(&report), [FailureKind::Leak], "{report}");
    let stack = &report.tasks()[1].stack;
    assert!(
        matches!(&stack[0], StackFrame::Wait { operation, awaits: None, .. } if operation == "oneshot::Receiver::await"),
        "{report}"
    );
    assert_eq!(spans(&report, 1), ["fetch{key=\"config\"}", "refresh{attempt=3}"], "{report}");
    let text = report.to_string();
    assert!(
        text.contains("\n       stack:\n         waits in oneshot::Receiver::await on oneshot::channel@"),
        "{text}"
    );
    assert!(text.contains("\n         in fetch{key=\"config\"} at tests/tests/async_stacks.rs:"), "{text}");
    // The JSON carries it too.
    assert!(report.to_json().contains("\"kind\": \"span\""), "{}", report.to_json());
}

#[test]
fn a_task_awaiting_a_handle_names_the_task_it_awaits() {
    let report = Scenario::new("async_stacks::join").run(|| {
        async {
            let lock = std::sync::Arc::new(Mutex::new(()));
            let held = lock.clone().lock_owned().await;
            let waiter = racewright::task::Builder::new()
                .name("waiter")
                .spawn(async move { drop(lock.lock().await) }.instrument(tracing::info_span!("wait_for_lock")))
                .unwrap();
            waiter.await.unwrap();
            drop(held);
        }
        .instrument(tracing::info_span!("body", id = 7))
    });
    assert_eq!(kinds(&report), [FailureKind::Deadlock], "{report}");
    assert!(
        matches!(&report.tasks()[0].stack[0], StackFrame::Wait { operation, awaits: Some(1), .. } if operation == "JoinHandle::await"),
        "{report}"
    );
    assert_eq!(spans(&report, 0), ["body{id=7}"], "{report}");
    assert_eq!(spans(&report, 1), ["wait_for_lock"], "{report}");
    // The body's wait goes on with what the awaited task waits in.
    let text = report.to_string();
    assert!(
        text.contains("waits in JoinHandle::await for #1 \"waiter\", which waits in Mutex::lock on Mutex@tests/tests/"),
        "{text}"
    );
}

#[instrument]
async fn parse(input: &'static str) -> u32 {
    racewright::task::yield_now().await;
    input.parse().expect("a number")
}

#[test]
fn a_panicked_task_keeps_the_spans_it_panicked_in() {
    let report = Scenario::new("async_stacks::panic").run(|| async {
        drop(racewright::spawn(async { parse("x").await }.instrument(tracing::info_span!("job", n = 1))));
    });
    assert_eq!(kinds(&report), [FailureKind::UnhandledPanic], "{report}");
    assert_eq!(spans(&report, 1), ["parse{input=\"x\"}", "job{n=1}"], "{report}");

    // The body too: where it failed is the failing step's stack.
    let report = Scenario::new("async_stacks::body_panic").run(|| async {
        parse("y").instrument(tracing::info_span!("main_job")).await;
    });
    assert_eq!(kinds(&report), [FailureKind::Panic], "{report}");
    assert_eq!(spans(&report, 0), ["parse{input=\"y\"}", "main_job"], "{report}");
    assert!(report.to_string().contains("  #0   main           panicked   the test body\n       stack:\n"), "{report}");
}

#[test]
fn a_task_pending_in_a_future_of_its_own_keeps_the_spans_it_stopped_in() {
    /// Returns `Pending` once and keeps no waker: a lost wakeup.
    struct Forgotten;
    impl Future for Forgotten {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }
    #[instrument]
    async fn done() {}
    let report = Scenario::new("async_stacks::pending").leaks(racewright::Policy::Deny).run(|| async {
        let task = racewright::spawn(
            async {
                // A span that completes before the task stops is not where it stopped.
                done().await;
                Forgotten.await
            }
            .instrument(tracing::debug_span!("stuck")),
        );
        drop(task);
    });
    // The lost wakeup is found where it happened, and the task it left behind is a leak.
    assert_eq!(kinds(&report), [FailureKind::LostWakeup, FailureKind::Leak], "{report}");
    // A debug-level span counts: it is where the task is, whatever the events' level.
    assert_eq!(spans(&report, 1), ["stuck"], "{report}");
}

#[test]
fn an_error_event_says_the_spans_it_was_logged_in() {
    let report = Scenario::new("async_stacks::error").run(|| {
        async {
            async { tracing::error!(code = 503, "upstream refused") }.instrument(tracing::info_span!("call")).await;
        }
        .instrument(tracing::info_span!("request", id = 4))
    });
    assert_eq!(kinds(&report), [FailureKind::Error], "{report}");
    let failure = report.failure().unwrap();
    assert!(failure.details().contains(&"spans: request{id=4}:call".to_string()), "{report}");
    assert!(report.to_json().contains("\"spans\": \"request{id=4}:call\""), "{}", report.to_json());
    assert!(report.to_string().contains("| ERROR request{id=4}:call: upstream "), "{report}");
}

#[test]
fn loom_reports_the_same_stacks() {
    let report = Scenario::new("async_stacks::loom").engine(EngineChoice::Loom).run(|| async {
        let (sender, never) = oneshot::channel::<u32>();
        drop(racewright::spawn(refresh(1, never)));
        std::mem::forget(sender);
    });
    assert_eq!(kinds(&report), [FailureKind::Leak], "{report}");
    assert_eq!(spans(&report, 1), ["fetch{key=\"config\"}", "refresh{attempt=1}"], "{report}");
}

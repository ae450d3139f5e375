//! A search explores without its `tracing` subscriber while no span or event it wants has
//! been reached in the process; one reached while it explores makes it explore again with
//! the subscriber, as if it had been there all along. This file is a test binary of its
//! own, with one test: nothing in the process reaches a `tracing` call site before it.

use racewright::{FailureKind, Scenario};

/// The two-task lost update, logged as an error inside a span, only in the executions
/// that lose it.
async fn lost_update_logged() {
    let total = racewright_tests::two_increments().await;
    if total != 2 {
        tracing::error_span!("tally").in_scope(|| tracing::error!(total, "lost an update"));
    }
}

#[test]
fn an_error_event_first_reached_mid_search_is_found_as_with_the_subscriber_from_the_start() {
    let scenario = || Scenario::new("tracing_first_reached::lost_update").iterations(400).seed(26).threads(1);
    // First in the process: the search starts without the subscriber, and the event, when
    // first reached, sends it back to the start.
    let first = scenario().run(lost_update_logged);
    let failure = first.failure().expect("the logged lost update is found");
    assert_eq!(failure.kind(), FailureKind::Error, "{first}");
    assert!(failure.message().contains("lost an update"), "{first}");
    assert!(first.to_string().contains("tally"), "the event's span is in the report:\n{first}");
    // Reached after some executions that did not reach it: the search went back.
    assert!(first.failing_execution().is_some_and(|execution| execution > 1), "{first}");
    // The subscriber is wanted now, from the start: the same report, to the byte.
    let second = scenario().run(lost_update_logged);
    assert_eq!(first.to_string(), second.to_string());
}

//! While no span or event it wants has been reached in the process, every search explores
//! without racewright's `tracing` subscriber, not only the process's first: being the
//! default costs at every switch (shuttle parks and reinstates each task's dispatcher).
//! This file is a test binary of its own, with one test: nothing in the process reaches a
//! `tracing` call site.

use std::sync::atomic::{AtomicUsize, Ordering};

use tracing::subscriber::NoSubscriber;

/// Executions whose body found a subscriber as its thread's default.
static WITH_SUBSCRIBER: AtomicUsize = AtomicUsize::new(0);

async fn increments_noting_the_default() {
    if !tracing::dispatcher::get_default(|dispatch| dispatch.is::<NoSubscriber>()) {
        WITH_SUBSCRIBER.fetch_add(1, Ordering::Relaxed);
    }
    racewright_tests::two_increments().await;
}

#[test]
fn every_search_goes_without_the_subscriber_while_none_is_wanted() {
    for (search, threads) in [(1, 1), (2, 1), (3, 2), (4, 2)] {
        let report = racewright::Scenario::new("tracing_not_wanted::increments")
            .iterations(100)
            .seed(search)
            .threads(threads)
            .run(increments_noting_the_default);
        assert!(report.failure().is_none(), "{report}");
        assert_eq!(WITH_SUBSCRIBER.load(Ordering::Relaxed), 0, "search {search} ({threads} threads) installed it");
    }
}

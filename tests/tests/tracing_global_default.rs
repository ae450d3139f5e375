//! A test's own global `tracing` subscriber is given none of the engines' events: where
//! one is set, a search installs racewright's subscriber from the start, which keeps those
//! of every step out, and shuttle's one-time set-up runs with no subscriber. This file is a
//! test binary of its own: the global default is the process's.

use std::sync::{Arc, Mutex};

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

/// Records the target of every event it is given, and wants them all.
struct Targets(Arc<Mutex<Vec<String>>>);

impl Subscriber for Targets {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        self.0.lock().unwrap().push(event.metadata().target().to_string());
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// The engines' events the subscriber of `targets` has been given so far.
fn engines_events(targets: &Mutex<Vec<String>>) -> usize {
    targets.lock().unwrap().iter().filter(|target| target.starts_with("shuttle") || target.starts_with("loom")).count()
}

#[test]
fn the_engines_events_stay_out_of_a_global_subscriber_of_the_test() {
    let targets = Arc::new(Mutex::new(Vec::new()));
    tracing::subscriber::set_global_default(Targets(targets.clone())).unwrap();
    let explore = |iterations: usize| {
        let before = engines_events(&targets);
        let report = racewright::Scenario::new("tracing_global_default::increments")
            .iterations(iterations)
            .threads(1)
            .run(|| async {
                racewright_tests::two_increments().await;
            });
        assert!(report.failure().is_none(), "{report}");
        engines_events(&targets) - before
    };
    // Not the first exploration of the process (shuttle's one-time set-up), nor any later.
    assert_eq!(explore(1), 0, "the engines' events of the process's first exploration reached it");
    assert_eq!(explore(10), 0, "the engines' events reached it");
    assert_eq!(explore(400), 0, "the engines' events reached it");
    let before = engines_events(&targets);
    let report = racewright::Scenario::new("tracing_global_default::on_loom")
        .engine(racewright::EngineChoice::Loom)
        .run(|| async {
            racewright_tests::two_increments().await;
        });
    assert!(report.failure().is_none() && report.executions() > 1, "{report}");
    assert_eq!(engines_events(&targets) - before, 0, "loom's events reached it");
}

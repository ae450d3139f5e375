//! The catalogue with tasks switched only where they return `Pending`
//! (`switch_points = "pending"`, what racewright falls back to when an execution blocks on
//! a lock it cannot see): no fixed variant is flagged, and every bug whose window holds an
//! await is still caught with its kind. The ones listed below have a window made of
//! synchronous calls only, which that mode runs with the code around them.

use racewright::{Scenario, SwitchPoints};
use racewright_scenarios::{Variant, catalogue};

/// Bugs only a switch inside a synchronous call shows, and why.
const NEEDS_A_SWITCH_INSIDE_A_CALL: &[(&str, &str)] = &[
    ("notify_check_then_register", "the condition's check and `notified()` are one synchronous section"),
    ("notify_one_vs_waiters", "the waiter's `notified()` and the notifier's `notify_waiters` race between awaits"),
    ("spawn_after_shutdown", "the shutdown signal and the late `notified()` race between awaits"),
    ("select_fresh_listener", "the signal falls between one `select!`'s end and the next one's `notified()`"),
];

#[test]
fn at_pending_no_fixed_variant_fails_and_the_bugs_with_an_await_in_their_window_are_caught() {
    let mut missed = Vec::new();
    for entry in catalogue() {
        let run = entry.run;
        let scenario = |variant: &str| {
            entry
                .tuned(Scenario::new(format!("pending::{}::{variant}", entry.name)))
                .switch_points(SwitchPoints::Pending)
        };
        let fixed = scenario("fixed").run(move || run(Variant::Fixed));
        assert!(fixed.failure().is_none(), "{} fixed is flagged at Pending:\n{fixed}", entry.name);
        let buggy = scenario("buggy").run(move || run(Variant::Buggy));
        match buggy.failure() {
            Some(failure) => assert_eq!(failure.kind(), entry.expected, "{}:\n{buggy}", entry.name),
            None => missed.push(entry.name),
        }
    }
    let expected: Vec<&str> = NEEDS_A_SWITCH_INSIDE_A_CALL.iter().map(|(name, _)| *name).collect();
    assert_eq!(missed, expected, "the bugs missed at Pending");
}

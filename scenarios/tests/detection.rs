//! The detection suite: every buggy variant of the catalogue is caught with the right
//! kind of failure, and no fixed variant is flagged.

use racewright_scenarios::{Variant, catalogue};

/// One test pair per pattern, through the attribute, as a user would write them.
macro_rules! detects {
    ($module:ident, $kind:literal) => {
        mod $module {
            use racewright_scenarios::{Variant, $module::scenario};

            #[racewright::test(expect = $kind, snapshot)]
            async fn buggy_is_caught() {
                scenario(Variant::Buggy).await
            }

            #[racewright::test]
            async fn fixed_passes() {
                scenario(Variant::Fixed).await
            }
        }
    };
}

detects!(lost_update, "panic");
detects!(abba_deadlock, "deadlock");
detects!(notify_check_then_register, "deadlock");
detects!(notify_one_vs_waiters, "deadlock");
detects!(channel_close_vs_send, "panic");
detects!(double_checked_init, "panic");
detects!(semaphore_permit_leak, "deadlock");
detects!(blocking_guard_in_join, "deadlock");
detects!(detached_worker_leak, "leak");
detects!(spawn_after_shutdown, "leak");
detects!(detached_panic, "unhandled_panic");
detects!(panic_then_wait, "unhandled_panic");
detects!(swallowed_error, "error");
detects!(mutex_semaphore_abba, "deadlock");
detects!(handwritten_lost_wakeup, "deadlock");

/// The catalogue and the list above agree: every entry is caught with its kind on the
/// programmatic API too, with all the strategies.
#[test]
fn every_entry_is_caught_by_every_strategy() {
    for entry in catalogue() {
        for strategy in
            [racewright::Strategy::Portfolio, racewright::Strategy::Random, racewright::Strategy::Pct { depth: 3 }]
        {
            let run = entry.run;
            let report = racewright::Scenario::new(format!("catalogue::{}", entry.name))
                .strategy(strategy)
                .run(move || run(Variant::Buggy));
            let failure =
                report.failure().unwrap_or_else(|| panic!("{} not caught by {strategy}:\n{report}", entry.name));
            assert_eq!(failure.kind(), entry.expected, "{}:\n{report}", entry.name);
        }
    }
}

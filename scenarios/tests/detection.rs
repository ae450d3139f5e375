//! The detection suite: every buggy variant of the catalogue is caught with the right
//! kind of failure, and no fixed variant is flagged.

use racewright_scenarios::{Variant, catalogue};

/// One test pair per pattern, through the attribute, as a user would write them.
/// Arguments after the kind are the pattern's own (its catalogue entry's `tune`).
macro_rules! detects {
    ($module:ident, $kind:literal $(, $argument:ident = $value:literal)*) => {
        mod $module {
            use racewright_scenarios::{Variant, $module::scenario};

            #[racewright::test(expect = $kind, snapshot $(, $argument = $value)*)]
            async fn buggy_is_caught() {
                scenario(Variant::Buggy).await
            }

            #[racewright::test($($argument = $value),*)]
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
detects!(blocking_guard_in_join, "blocking_in_async");
detects!(detached_worker_leak, "leak");
detects!(spawn_after_shutdown, "leak");
detects!(detached_panic, "unhandled_panic");
detects!(panic_then_wait, "unhandled_panic");
detects!(swallowed_error, "error");
detects!(mutex_semaphore_abba, "deadlock");
detects!(handwritten_lost_wakeup, "lost_wakeup");

/// The catalogue and the list above agree: every entry is caught with its kind on the
/// programmatic API too, with all the strategies.
#[test]
fn every_entry_is_caught_by_every_strategy() {
    for entry in catalogue() {
        for strategy in [
            racewright::Strategy::Portfolio,
            racewright::Strategy::Random,
            racewright::Strategy::Pct { depth: 3 },
            racewright::Strategy::Pos,
        ] {
            let report = under("catalogue", &entry, strategy, Variant::Buggy);
            let failure =
                report.failure().unwrap_or_else(|| panic!("{} not caught by {strategy}:\n{report}", entry.name));
            assert_eq!(failure.kind(), entry.expected, "{}:\n{report}", entry.name);
            every_preemption_is_marked(&report, entry.name);
        }
    }
}

/// The timeline of `report` marks (`»`) as many steps as the verdict counts preemptions,
/// when it shows every event: a task that had not run yet starts with a poll that records
/// nothing, and the mark goes to its first event.
fn every_preemption_is_marked(report: &racewright::Report, name: &str) {
    let text = report.to_string();
    if text.contains("earlier events") {
        return;
    }
    let counted: usize = (text.lines())
        .find_map(|line| line.trim().strip_prefix("preemptions "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("the verdict counts preemptions");
    let marked = text.lines().filter(|line| line.trim_start().starts_with('»')).count();
    assert_eq!(marked, counted, "{name}: preemptions marked in the timeline\n{text}");
}

/// No strategy reports what a fix does not have: every fix of the catalogue passes under
/// each (a strategy that starves a task is a false `step_limit` here).
#[test]
fn every_fix_passes_under_every_strategy() {
    for entry in catalogue() {
        for strategy in [
            racewright::Strategy::Random,
            racewright::Strategy::Pct { depth: 3 },
            racewright::Strategy::Pos,
            racewright::Strategy::Urw,
            racewright::Strategy::Dfs,
        ] {
            let report = under("catalogue", &entry, strategy, Variant::Fixed);
            assert!(report.failure().is_none(), "{} fixed, under {strategy}:\n{report}", entry.name);
        }
    }
}

/// One exploration of `entry`'s `variant` under `strategy`, with the entry's settings, as
/// scenario `<list>::<name>`.
fn under(
    list: &str,
    entry: &racewright_scenarios::Entry,
    strategy: racewright::Strategy,
    variant: Variant,
) -> racewright::Report {
    let run = entry.run;
    entry
        .tuned(racewright::Scenario::new(format!("{list}::{}", entry.name)))
        .strategy(strategy)
        .run(move || run(variant))
}

// Time and cancellation.
detects!(pool_cancel, "panic");
detects!(cancelled_counter, "panic", lost_messages = "allow");
detects!(select_fresh_listener, "deadlock");
detects!(interval_shutdown_leak, "leak");
detects!(retry_backoff, "panic");

// Async stacks: the leaked caller's report shows the `#[instrument]`ed functions it waits in.
detects!(reply_before_register, "leak");

/// The timeout race shows only if time may pass while the responder is runnable.
mod timeout_race {
    use racewright_scenarios::{Variant, timeout_race::scenario};

    #[racewright::test(time = "any", expect = "panic", snapshot)]
    async fn buggy_is_caught_when_time_may_pass_at_any_point() {
        scenario(Variant::Buggy).await
    }

    /// With `time = "idle"` the clock moves only when both tasks wait: the responder's
    /// 50ms always come first, and the race is never seen.
    #[racewright::test]
    async fn buggy_passes_when_time_passes_only_when_all_are_blocked() {
        scenario(Variant::Buggy).await
    }

    #[racewright::test(time = "any")]
    async fn fixed_passes() {
        scenario(Variant::Fixed).await
    }
}

// Lost wakeups, blocking in async, lost messages, unbounded growth.
detects!(waker_slot_overwritten, "lost_wakeup");
detects!(join_all_pending_when_done, "lost_wakeup");
detects!(event_poll_ignores_context, "lost_wakeup");
detects!(connection_drops_requests, "lost_messages");
detects!(unbounded_event_queue, "unbounded_growth", max_queue = 4);
detects!(spawn_per_request, "unbounded_growth", max_queue = 3);
detects!(condvar_on_current_thread, "blocking_in_async", flavor = "current_thread");

/// A blocking wait that another worker thread rescues passes on the default, multi-threaded
/// flavor: only `current_thread` makes it a finding.
#[racewright::test]
async fn condvar_on_current_thread_buggy_passes_with_threads_to_spare() {
    racewright_scenarios::condvar_on_current_thread::scenario(Variant::Buggy).await
}

/// The patterns of one thread are caught by every strategy too.
#[test]
fn every_one_thread_entry_is_caught_by_every_strategy() {
    for entry in racewright_scenarios::one_thread() {
        for strategy in [racewright::Strategy::Portfolio, racewright::Strategy::Random, racewright::Strategy::Pos] {
            let report = under("one_thread", &entry, strategy, Variant::Buggy);
            let failure =
                report.failure().unwrap_or_else(|| panic!("{} not caught by {strategy}:\n{report}", entry.name));
            assert_eq!(failure.kind(), entry.expected, "{}:\n{report}", entry.name);
        }
    }
}

// The loom engine.

/// Only loom sees a `Relaxed` publication fail: shuttle runs every ordering as `SeqCst`.
mod relaxed_publication {
    use racewright_scenarios::{Variant, relaxed_publication::scenario};

    #[racewright::test(engine = "loom", expect = "panic")]
    async fn buggy_is_caught_by_loom() {
        scenario(Variant::Buggy).await
    }

    /// Every interleaving runs the writer's stores in order: the bug is in the memory
    /// model, which shuttle does not model.
    #[racewright::test]
    async fn buggy_passes_on_shuttle_which_cannot_see_it() {
        scenario(Variant::Buggy).await
    }

    #[racewright::test(engine = "all")]
    async fn fixed_passes_on_both_engines() {
        scenario(Variant::Fixed).await
    }
}

/// Only loom sees both loads of a store-buffering protocol read the old values.
mod store_buffer_lost_wakeup {
    use racewright_scenarios::{Variant, store_buffer_lost_wakeup::scenario};

    /// The deadlock is found in loom's child process; the other tests of this binary go on.
    #[racewright::test(engine = "loom", expect = "deadlock")]
    async fn buggy_is_caught_by_loom() {
        scenario(Variant::Buggy).await
    }

    /// In every interleaving one of the two tasks sees the other's store.
    #[racewright::test]
    async fn buggy_passes_on_shuttle_which_cannot_see_it() {
        scenario(Variant::Buggy).await
    }

    #[racewright::test(engine = "all")]
    async fn fixed_passes_on_both_engines() {
        scenario(Variant::Fixed).await
    }
}

/// `engine = "all"` reports which engine found what: shuttle finds the lost update
/// first, and loom's verdict is a line of the report.
#[racewright::test(engine = "all", expect = "panic", snapshot)]
async fn all_engines_report_what_each_found() {
    racewright_scenarios::lost_update::scenario(Variant::Buggy).await
}

/// Every pattern of the catalogue fits loom's limits (at most 4 tasks besides the body)
/// and is caught on loom with the same kind as on shuttle, and every fix passes loom's
/// exhaustive search; the weak-memory patterns too. `timeout_race` is not in the
/// catalogue: it needs `time = "any"`, a choice loom cannot explore.
#[test]
fn every_entry_is_caught_on_loom_and_every_fix_passes() {
    for entry in catalogue().into_iter().chain(racewright_scenarios::weak_memory()) {
        let run = entry.run;
        let scenario = entry
            .tuned(racewright::Scenario::new(format!("catalogue::{}", entry.name)))
            .engine(racewright::EngineChoice::Loom)
            // A few fixes take two thousand executions to explore with two preemptions.
            .iterations(5_000);
        let buggy = scenario.run(move || run(Variant::Buggy));
        let failure = buggy.failure().unwrap_or_else(|| panic!("{} not caught by loom:\n{buggy}", entry.name));
        assert_eq!(failure.kind(), entry.expected, "{}:\n{buggy}", entry.name);
        let fixed = scenario.run(move || run(Variant::Fixed));
        assert!(fixed.failure().is_none() && fixed.exhaustive(), "{} fixed, on loom:\n{fixed}", entry.name);
    }
}

/// A passing test can pin what the exploration did too: executions, distinct schedules,
/// and no finding of any kind. A change that makes the scenario explore less shows here.
#[racewright::test(snapshot)]
async fn lost_update_fixed_exploration_summary() {
    racewright_scenarios::lost_update::scenario(racewright_scenarios::Variant::Fixed).await
}

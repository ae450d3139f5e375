//! The facade's time, inside runs (virtual) and outside (tokio's).

use std::sync::{Arc, Mutex};

use tokio_test::{assert_pending, assert_ready, task};

use super::*;
use crate::run::execution;
use crate::{FailureKind, Scenario};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn timers_pending() -> bool {
    execution::with(|state| state.timers.has_pending()).unwrap_or(false)
}

#[test]
fn a_sleep_completes_when_the_clock_reaches_its_deadline() {
    crate::check(|| async {
        let mut short = task::spawn(sleep(ms(10)));
        assert_pending!(short.poll());
        assert!(!short.is_elapsed());
        // The body blocks: the clock jumps to the next deadline, the short sleep's.
        sleep(ms(20)).await;
        assert!(short.is_woken());
        assert_ready!(short.poll());
        assert_eq!(Instant::now() - short.deadline(), ms(10));
    });
}

#[test]
fn a_sleep_whose_deadline_has_passed_completes_at_once() {
    crate::check(|| async {
        assert_ready!(task::spawn(sleep(Duration::ZERO)).poll());
        let past = Instant::now();
        sleep(ms(5)).await;
        assert_ready!(task::spawn(sleep_until(past)).poll());
        assert!(!timers_pending());
    });
}

#[test]
fn a_dropped_sleep_forgets_its_timer() {
    crate::check(|| async {
        let mut cancelled = task::spawn(sleep(Duration::from_secs(3600)));
        assert_pending!(cancelled.poll());
        assert!(timers_pending());
        drop(cancelled);
        assert!(!timers_pending());
    });
}

#[test]
fn timers_fire_in_deadline_order() {
    crate::check(|| async {
        let order = Arc::new(Mutex::new(Vec::new()));
        let sleepers: Vec<_> = [30, 10, 20, 10]
            .into_iter()
            .map(|n| {
                let order = order.clone();
                crate::spawn(async move {
                    sleep(ms(n)).await;
                    order.lock().unwrap().push((n, Instant::now()));
                })
            })
            .collect();
        for sleeper in sleepers {
            sleeper.await.unwrap();
        }
        let order = order.lock().unwrap();
        let deadlines: Vec<u64> = order.iter().map(|(n, _)| *n).collect();
        assert_eq!(deadlines, [10, 10, 20, 30]);
        assert!(order.iter().all(|(n, woke)| woke.since_origin() == ms(*n)), "each woke at its deadline");
    });
}

#[test]
fn reset_moves_a_pending_deadline() {
    crate::check(|| async {
        let start = Instant::now();
        let mut delay = task::spawn(sleep(Duration::from_secs(10)));
        assert_pending!(delay.poll());
        delay.enter(|_, sleep| sleep.reset(start + ms(3)));
        // The reset sleep wakes its task at the new deadline, unpolled.
        sleep(ms(4)).await;
        assert!(delay.is_woken());
        assert_ready!(delay.poll());
    });
}

#[test]
fn a_sleep_past_what_the_clock_counts_lasts_30_years_as_tokios() {
    crate::check(|| async {
        let start = Instant::now();
        sleep(Duration::MAX).await;
        assert_eq!(start.elapsed(), Duration::from_secs(86_400 * 365 * 30));
        assert!(timeout(Duration::MAX, sleep(ms(1))).await.is_ok());
    });
}

#[test]
fn advance_fires_the_timers_due_and_lets_their_tasks_run() {
    crate::check(|| async {
        let start = Instant::now();
        let mut sleepers: Vec<_> = [30, 10, 50]
            .into_iter()
            .map(|n| {
                crate::spawn(async move {
                    sleep(ms(n)).await;
                    Instant::now()
                })
            })
            .collect();
        // Let every sleeper register its timer.
        while !timers_pending() || execution::with(|state| state.timers.pending_count()) != Some(3) {
            crate::task::yield_now().await;
        }
        advance(ms(40)).await;
        assert_eq!(start.elapsed(), ms(40));
        let last = sleepers.pop().unwrap();
        for sleeper in sleepers {
            // Both woke when the clock jumped, at 40ms: not at their own deadlines.
            assert_eq!(sleeper.await.unwrap() - start, ms(40));
        }
        assert!(!last.is_finished(), "the third sleeper's deadline is still ahead");
        pause();
        resume();
        assert_eq!(last.await.unwrap() - start, ms(50));
    });
}

// After tokio's `tests/time_pause.rs` (`advance_after_poll`, `sleep_no_poll`): advancing
// short of a deadline leaves the sleep pending, polled before or not.
#[test]
fn advancing_short_of_a_deadline_leaves_the_sleep_pending() {
    crate::check(|| async {
        let start = Instant::now();
        let mut polled = task::spawn(sleep_until(start + ms(300)));
        assert_pending!(polled.poll());
        let mut unpolled = task::spawn(sleep_until(start + ms(300)));
        advance(ms(100)).await;
        assert_eq!(start.elapsed(), ms(100));
        assert!(!polled.is_woken());
        assert_pending!(polled.poll());
        assert_pending!(unpolled.poll());
        advance(ms(200)).await;
        assert!(polled.is_woken());
        assert_ready!(polled.poll());
        assert_ready!(unpolled.poll());
    });
}

#[tokio::test(start_paused = true)]
async fn outside_a_run_advance_is_tokios() {
    let start = Instant::now();
    let mut delay = task::spawn(sleep(ms(50)));
    assert_pending!(delay.poll());
    advance(ms(50)).await;
    assert_ready!(delay.poll());
    assert_eq!(start.elapsed(), ms(50));
    resume();
    pause();
}

#[test]
fn a_task_still_sleeping_when_the_body_returns_finishes_during_wind_down() {
    let report = Scenario::new("time::sleeping_at_the_end").iterations(3).run(|| async {
        drop(crate::spawn(sleep(Duration::from_secs(1))));
    });
    assert!(report.failure().is_none(), "a pending timer is progress, not a leak: {report}");
}

#[test]
fn a_task_only_a_periodic_timer_keeps_alive_is_a_leak() {
    let report = Scenario::new("time::ticking_forever").iterations(3).run(|| async {
        drop(crate::spawn(async {
            let mut ticks = crate::time::interval(Duration::from_secs(1));
            loop {
                ticks.tick().await;
            }
        }));
    });
    let failure = report.failure().expect("a leak");
    assert_eq!(failure.kind(), FailureKind::Leak, "{report}");
    assert!(report.to_string().contains("stuck in time::Interval::tick"), "{report}");
}

#[test]
fn timeout_returns_the_value_if_it_comes_first() {
    crate::check(|| async {
        let both_ready = timeout(Duration::ZERO, std::future::ready(1));
        assert_eq!(both_ready.await, Ok(1), "the value wins a tie");
        let late = timeout(ms(10), sleep(ms(20))).await;
        assert_eq!(late, Err(error::Elapsed(())));
        assert_eq!(Instant::now().since_origin(), ms(10));
        let kept = timeout(ms(10), std::future::ready(5));
        assert_eq!(kept.into_inner().await, 5, "the inner future, without the timeout");
    });
}

#[test]
fn the_trace_shows_virtual_time() {
    let report = Scenario::new("time::trace").iterations(1).run(|| async {
        let _ = timeout(ms(100), sleep(ms(250))).await;
        assert_eq!(Instant::now().since_origin(), Duration::ZERO, "fails to show the report");
    });
    let text = report.to_string();
    assert!(text.contains("time::timeout 100ms, until t=100ms"), "{text}");
    assert!(text.contains("timer fired t=100ms"), "{text}");
    assert!(text.contains("time::timeout elapsed at t=100ms"), "{text}");
    assert!(text.contains("time::sleep cancelled"), "{text}");
}

#[test]
fn the_first_tick_is_immediate_and_the_next_ones_a_period_apart() {
    crate::check(|| async {
        let start = Instant::now();
        let mut ticks = interval(ms(10));
        assert_eq!(ticks.tick().await, start);
        assert_eq!(ticks.tick().await, start + ms(10));
        assert_eq!(ticks.tick().await, start + ms(20));
        assert_eq!(Instant::now(), start + ms(20));
    });
}

/// Ticks of an interval of 10ms whose task was busy from 0 to 35ms, with `behavior`.
async fn late_ticks(behavior: MissedTickBehavior) -> Vec<(Duration, Duration)> {
    let mut ticks = interval(ms(10));
    ticks.set_missed_tick_behavior(behavior);
    ticks.tick().await;
    sleep(ms(35)).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let due = ticks.tick().await;
        seen.push((due.since_origin(), Instant::now().since_origin()));
    }
    seen
}

#[test]
fn missed_ticks_burst_by_default_as_tokio() {
    crate::check(|| async {
        assert_eq!(interval(ms(1)).missed_tick_behavior(), MissedTickBehavior::Burst);
        let seen = late_ticks(MissedTickBehavior::Burst).await;
        assert_eq!(seen, [(ms(10), ms(35)), (ms(20), ms(35)), (ms(30), ms(35)), (ms(40), ms(40))]);
    });
}

#[test]
fn missed_ticks_can_be_delayed_or_skipped() {
    crate::check(|| async {
        let delayed = late_ticks(MissedTickBehavior::Delay).await;
        assert_eq!(delayed, [(ms(10), ms(35)), (ms(45), ms(45)), (ms(55), ms(55)), (ms(65), ms(65))]);
    });
    crate::check(|| async {
        let skipped = late_ticks(MissedTickBehavior::Skip).await;
        assert_eq!(skipped, [(ms(10), ms(35)), (ms(40), ms(40)), (ms(50), ms(50)), (ms(60), ms(60))]);
    });
}

#[test]
fn reset_starts_the_interval_over() {
    crate::check(|| async {
        let mut ticks = interval(ms(10));
        ticks.tick().await;
        sleep(ms(3)).await;
        ticks.reset();
        assert_eq!(ticks.tick().await.since_origin(), ms(13));
        ticks.reset_after(ms(1));
        assert_eq!(ticks.tick().await.since_origin(), ms(14));
        ticks.reset_immediately();
        assert_eq!(ticks.tick().await.since_origin(), ms(14));
        ticks.reset_at(Instant::now() + ms(6));
        assert_eq!(ticks.tick().await.since_origin(), ms(20));
        assert_eq!(ticks.period(), ms(10));
    });
}

#[test]
#[should_panic(expected = "`period` must be non-zero.")]
fn a_zero_period_panics_as_tokio() {
    let _ = interval(Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn outside_a_run_it_is_tokios_clock() {
    let start = Instant::now();
    sleep(ms(30)).await;
    assert!(start.elapsed() >= ms(30));
    assert!(timeout(ms(10), std::future::pending::<()>()).await.is_err());
    let mut ticks = interval(ms(10));
    let first = ticks.tick().await;
    assert!(ticks.tick().await - first >= ms(10));
}

// After tokio's `timeout_is_not_exhausted_by_future`: a future that spends the task's
// whole budget at every poll still times out (on tokio's runtime, whose timer needs budget).
#[tokio::test]
async fn a_timeout_elapses_though_its_future_spends_the_whole_budget() {
    let spending = async {
        loop {
            crate::task::consume_budget().await;
        }
    };
    let bounded = timeout(ms(1), spending);
    // tokio's own timeout bounds the test: it would hang otherwise.
    let outcome = tokio::time::timeout(Duration::from_secs(10), bounded).await;
    assert!(outcome.expect("the timeout never elapsed").is_err());
}

// After tokio's `stream_with_interval_poll_tick_no_waking` (time_interval.rs): a tick that
// completes leaves no waker behind; only a pending one registers.
#[tokio::test(start_paused = true)]
async fn a_tick_that_completes_leaves_no_waker_behind() {
    let mut ticks = interval(ms(10));
    let mut polling = task::spawn(());
    assert_ready!(polling.enter(|cx, _| ticks.poll_tick(cx)));
    tokio::time::advance(ms(20)).await;
    assert!(!polling.is_woken(), "the completed tick's waker was kept for the next");
    assert_ready!(polling.enter(|cx, _| ticks.poll_tick(cx)));
}

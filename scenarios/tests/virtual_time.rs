//! Virtual time: no real time passes, however long the scenario sleeps.

use std::time::Instant as WallClock;

use racewright::time::{Duration, Instant, interval, sleep};
use racewright::{Scenario, TimeMode};
use racewright_scenarios::{Variant, retry_backoff, timeout_race};

/// Loose on purpose: CI machines are loaded; on an idle machine it is milliseconds.
const WELL_UNDER_A_SECOND: std::time::Duration = std::time::Duration::from_secs(5);

#[test]
fn an_hour_of_virtual_sleep_takes_no_real_time() {
    let started = WallClock::now();
    let report = Scenario::new("virtual_time::an_hour").run(|| async {
        let start = Instant::now();
        let sleeper = racewright::spawn(sleep(Duration::from_secs(3600)));
        sleep(Duration::from_secs(3600)).await;
        sleeper.await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
    });
    let elapsed = started.elapsed();
    println!("{} executions of an hour of virtual sleep took {elapsed:?} of real time", report.executions());
    assert!(report.failure().is_none(), "{report}");
    assert!(elapsed < WELL_UNDER_A_SECOND, "{elapsed:?}");
}

#[test]
fn an_hour_of_one_second_ticks_takes_no_real_time() {
    let started = WallClock::now();
    let report = Scenario::new("virtual_time::ticks").iterations(3).run(|| async {
        let start = Instant::now();
        let mut ticks = interval(Duration::from_secs(1));
        for _ in 0..=3600 {
            ticks.tick().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
    });
    let elapsed = started.elapsed();
    println!("{} executions of 3600 ticks of a second took {elapsed:?} of real time", report.executions());
    assert!(report.failure().is_none(), "{report}");
    assert!(elapsed < WELL_UNDER_A_SECOND, "{elapsed:?}");
}

#[test]
fn the_retry_loop_waits_its_seconds_of_backoff_in_virtual_time() {
    let started = WallClock::now();
    racewright::check(|| async {
        let start = Instant::now();
        retry_backoff::scenario(Variant::Fixed).await;
        // Attempts at 0, 0.1, 0.3, 0.7, 1.5, 3.1 and 5.1s: the server is up at 5s.
        assert_eq!(start.elapsed(), Duration::from_millis(5100));
    });
    let elapsed = started.elapsed();
    println!("1000 executions of 5.1s of retries took {elapsed:?} of real time");
    assert!(elapsed < WELL_UNDER_A_SECOND, "{elapsed:?}");
}

/// The two time modes side by side: the race is never seen with `idle`, and found within
/// the first executions with `any` (see the `timeout_race_executions` example for the
/// numbers over many seeds).
#[test]
fn the_timeout_race_needs_time_to_pass_at_any_point() {
    let run = |mode| {
        Scenario::new("virtual_time::timeout_race")
            .iterations(2000)
            .time(mode)
            .run(|| timeout_race::scenario(Variant::Buggy))
    };
    let idle = run(TimeMode::Idle);
    assert!(idle.failure().is_none(), "{idle}");
    let any = run(TimeMode::Any);
    let found = any.failing_execution().unwrap_or_else(|| panic!("not found with time = \"any\":\n{any}"));
    println!(
        "timeout race: not found in {} executions with idle; found at execution {found} with any",
        idle.executions()
    );
    assert!(found <= 20, "{any}");
}

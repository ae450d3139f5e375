//! Outside a run racewright's clock is tokio's, measured from an origin the process takes
//! once. A paused runtime started before that origin was taken reads its own start exactly,
//! so intervals measured on it come out whole. A binary of its own: the origin is taken
//! once per process, and here it must be taken after the runtime started.

use std::time::Duration;

use racewright::time::{Instant, MissedTickBehavior, advance, interval_at};

#[test]
fn a_paused_runtime_started_before_the_clocks_origin_keeps_exact_time() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    // Real time passes between the runtime's start and the first reading of the clock,
    // taken on another thread with no runtime: the origin.
    std::thread::sleep(Duration::from_millis(20));
    std::thread::spawn(Instant::now).join().unwrap();
    runtime.block_on(async {
        let start = Instant::now();
        advance(Duration::from_millis(951)).await;
        assert_eq!(Instant::now() - start, Duration::from_millis(951));
        // tokio's own `time_interval::delay`: a late tick puts the next one a period after now.
        let mut ticks = interval_at(start, Duration::from_millis(300));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        assert_eq!(ticks.tick().await, start);
        assert_eq!(ticks.tick().await, start + Duration::from_millis(1251));
    });
}

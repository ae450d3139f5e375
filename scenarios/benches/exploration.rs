//! Speed and detection power of racewright against raw shuttle, side by side in one run.
//!
//! `cargo bench -p racewright-scenarios --bench exploration` prints three tables:
//! 1. executions per second of the same two-task lost-update scenario (fixed, so every
//!    execution runs to the end), on raw shuttle and on racewright with its detectors
//!    on and off, with the ratio to raw shuttle;
//! 2. executions needed to find the buggy variant, over several seeds;
//! 3. executions per second of loom's exhaustive search (preemption bound 2) of the same
//!    scenario, raw loom (threads and loom's blocking mutex) against racewright on loom
//!    (async tasks, each a loom thread, and racewright's async mutex).
//!
//! The machine is shared and noisy: read the ratios, not the absolute times.
//! `RACEWRIGHT_BENCH_ITERATIONS` sets the executions per measurement (default 20000).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::{explorations_per_second, knob, rate};
use racewright::{EngineChoice, Policy, Scenario, Strategy};

fn iterations() -> usize {
    knob("RACEWRIGHT_BENCH_ITERATIONS", 20_000)
}

/// The scenario on raw shuttle: its blocking mutex inside async tasks, its own yield.
fn raw_shuttle_lost_update(buggy: bool) {
    use shuttle::sync::{Arc, Mutex};
    shuttle::future::block_on(async move {
        let n = Arc::new(Mutex::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let n = n.clone();
                shuttle::future::spawn(async move {
                    if buggy {
                        let v = *n.lock().unwrap();
                        shuttle::future::yield_now().await;
                        *n.lock().unwrap() = v + 1;
                    } else {
                        shuttle::future::yield_now().await;
                        *n.lock().unwrap() += 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*n.lock().unwrap(), 2);
    });
}

/// The same scenario on racewright's facade.
async fn racewright_lost_update(buggy: bool) {
    use racewright::sync::Mutex;
    use std::sync::Arc;
    let n = Arc::new(Mutex::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            racewright::spawn(async move {
                if buggy {
                    let v = *n.lock().await;
                    racewright::task::yield_now().await;
                    *n.lock().await = v + 1;
                } else {
                    racewright::task::yield_now().await;
                    *n.lock().await += 1;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*n.lock().await, 2);
}

fn speed(iterations: usize) {
    let started = Instant::now();
    shuttle::check_random(|| raw_shuttle_lost_update(false), iterations);
    let raw = rate(iterations, started);

    let measure = |detectors: Policy, record: bool, threads: usize| {
        let scenario = Scenario::new("bench::lost_update_fixed")
            .iterations(iterations)
            .strategy(Strategy::Random)
            .leaks(detectors)
            .unhandled_panics(detectors)
            .error_events(detectors)
            .record_trace(record)
            .threads(threads);
        let started = Instant::now();
        let report = scenario.run(|| racewright_lost_update(false));
        assert!(report.failure().is_none(), "{report}");
        rate(report.executions(), started)
    };
    // One thread, as raw shuttle runs; then every core, as racewright runs by default.
    let on = measure(Policy::Deny, true, 1);
    let off = measure(Policy::Allow, true, 1);
    let silent = measure(Policy::Deny, false, 1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all_cores = measure(Policy::Deny, true, cores);

    println!("speed: two-task lost update, fixed variant, random strategy, {iterations} executions each");
    println!("| engine                          | executions/s | ratio to raw shuttle |");
    println!("|---------------------------------|-------------:|---------------------:|");
    println!("| raw shuttle (check_random)      | {raw:>12.0} | {:>20.2} |", 1.0);
    println!("| racewright, detectors on        | {on:>12.0} | {:>20.2} |", on / raw);
    println!("| racewright, detectors off       | {off:>12.0} | {:>20.2} |", off / raw);
    println!("| racewright, no trace recording  | {silent:>12.0} | {:>20.2} |", silent / raw);
    println!("| racewright, detectors on, {cores} cores | {all_cores:>10.0} | {:>20.2} |", all_cores / raw);
    println!();
}

fn detection(seeds: u64) {
    static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);
    let mut raw_total = 0;
    let mut raw_found = 0;
    // Raw shuttle prints its failures; keep the table readable.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for seed in 0..seeds {
        EXECUTIONS.store(0, Ordering::SeqCst);
        let found = std::panic::catch_unwind(|| {
            shuttle::check_random_with_seed(
                || {
                    EXECUTIONS.fetch_add(1, Ordering::SeqCst);
                    raw_shuttle_lost_update(true)
                },
                seed,
                1000,
            )
        })
        .is_err();
        raw_found += usize::from(found);
        raw_total += EXECUTIONS.load(Ordering::SeqCst);
    }
    std::panic::set_hook(hook);

    let row = |strategy: Strategy| {
        let (mut total, mut found) = (0, 0);
        for seed in 0..seeds {
            let report = Scenario::new("bench::lost_update_buggy")
                .iterations(1000)
                .seed(seed)
                .strategy(strategy)
                // One thread: the lanes after the failing one give up at once, so the
                // executions run are the work it took to find the bug.
                .threads(1)
                .run(|| racewright_lost_update(true));
            found += usize::from(report.failure().is_some());
            total += report.executions();
        }
        (total as f64 / seeds as f64, found)
    };
    let random = row(Strategy::Random);
    let pct = row(Strategy::Pct { depth: 3 });
    let portfolio = row(Strategy::Portfolio);
    let pos = row(Strategy::Pos);

    println!("detection: two-task lost update, buggy variant, {seeds} seeds, at most 1000 executions each");
    println!("| engine / strategy               | found | mean executions to find |");
    println!("|---------------------------------|------:|------------------------:|");
    println!(
        "| raw shuttle, random             | {raw_found:>2}/{seeds} | {:>23.1} |",
        raw_total as f64 / seeds as f64
    );
    println!("| racewright, random              | {:>2}/{seeds} | {:>23.1} |", random.1, random.0);
    println!("| racewright, pct (depth 3)       | {:>2}/{seeds} | {:>23.1} |", pct.1, pct.0);
    println!("| racewright, portfolio           | {:>2}/{seeds} | {:>23.1} |", portfolio.1, portfolio.0);
    println!("| racewright, pos                 | {:>2}/{seeds} | {:>23.1} |", pos.1, pos.0);
}

/// The fixed scenario on raw loom: a thread per task, loom's mutex, loom's yield.
fn raw_loom_lost_update(executions: &'static AtomicUsize) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(move || {
        executions.fetch_add(1, Ordering::Relaxed);
        let n = loom::sync::Arc::new(loom::sync::Mutex::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let n = n.clone();
                loom::thread::spawn(move || {
                    loom::thread::yield_now();
                    *n.lock().unwrap() += 1;
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(*n.lock().unwrap(), 2);
    });
}

fn loom_speed(time: std::time::Duration) {
    static RAW: AtomicUsize = AtomicUsize::new(0);
    let (raw, raw_each) = explorations_per_second(time, || {
        let before = RAW.load(Ordering::Relaxed);
        raw_loom_lost_update(&RAW);
        RAW.load(Ordering::Relaxed) - before
    });
    let measure = |detectors: Policy, record: bool| {
        explorations_per_second(time, || {
            let report = Scenario::new("bench::loom_lost_update_fixed")
                .engine(EngineChoice::Loom)
                .iterations(1_000_000)
                .leaks(detectors)
                .unhandled_panics(detectors)
                .error_events(detectors)
                .record_trace(record)
                .run(|| racewright_lost_update(false));
            assert!(report.failure().is_none() && report.exhaustive(), "{report}");
            report.executions()
        })
    };
    let (on, each) = measure(Policy::Deny, true);
    let (silent, _) = measure(Policy::Allow, false);

    println!("loom: two-task lost update, fixed variant, exhaustive with preemption bound 2, for {time:?} each");
    println!("| engine                              | executions per search | executions/s | ratio to raw loom |");
    println!("|-------------------------------------|----------------------:|-------------:|------------------:|");
    println!("| raw loom (threads, loom Mutex)      | {raw_each:>21} | {raw:>12.0} | {:>17.2} |", 1.0);
    println!("| racewright on loom, detectors on    | {each:>21} | {on:>12.0} | {:>17.2} |", on / raw);
    println!("| racewright on loom, no trace/detect | {each:>21} | {silent:>12.0} | {:>17.2} |", silent / raw);
    println!();
}

fn main() {
    // `cargo test --benches` runs benches with `--bench`-less args; keep that quick.
    let quick = std::env::args().any(|arg| arg == "--test");
    speed(if quick { 200 } else { iterations() });
    detection(if quick { 3 } else { 30 });
    loom_speed(std::time::Duration::from_millis(if quick { 50 } else { 2000 }));
}

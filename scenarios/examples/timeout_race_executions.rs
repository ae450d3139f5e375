//! How many executions racewright needs to find the timeout race, per time mode.
//!
//! `cargo run --release -p racewright-scenarios --example timeout_race_executions [SEEDS] [BUDGET]`
//!
//! Runs the buggy `timeout_race` scenario with each strategy, for SEEDS seeds (default
//! 20), and prints the execution that first failed: with `time = "any"` the strategy may
//! let time pass at any scheduling point, and finds the race within a few executions;
//! with `time = "idle"` the clock moves only when every task is blocked, and the race is
//! never seen, however many executions (BUDGET, default 10 000) are run.

use racewright::{Scenario, Strategy, TimeMode};
use racewright_scenarios::{Variant, timeout_race};

fn main() {
    let mut args = std::env::args().skip(1).map(|arg| arg.parse::<usize>().expect("a number"));
    let seeds = args.next().unwrap_or(20) as u64;
    let budget = args.next().unwrap_or(10_000);
    println!("buggy timeout_race: execution that first failed, over {seeds} seeds (budget {budget} executions)\n");
    println!("{:<12} {:<6} {:>6} {:>6} {:>8} {:>6} {:>7}", "strategy", "time", "found", "min", "median", "max", "mean");
    for strategy in [Strategy::Random, Strategy::Pct { depth: 3 }, Strategy::Portfolio] {
        for (mode, name) in [(TimeMode::Any, "any"), (TimeMode::Idle, "idle")] {
            let mut found: Vec<usize> = (0..seeds)
                .filter_map(|seed| {
                    let report = Scenario::new("timeout_race_executions")
                        .strategy(strategy)
                        .seed(seed)
                        .iterations(budget)
                        .time(mode)
                        .run(|| timeout_race::scenario(Variant::Buggy));
                    report.failing_execution()
                })
                .collect();
            found.sort_unstable();
            let row = if found.is_empty() {
                format!("{:>6} {:>6} {:>8} {:>6} {:>7}", format!("0/{seeds}"), "-", "-", "-", "-")
            } else {
                let mean = found.iter().sum::<usize>() as f64 / found.len() as f64;
                format!(
                    "{:>6} {:>6} {:>8} {:>6} {:>7.1}",
                    format!("{}/{seeds}", found.len()),
                    found[0],
                    found[found.len() / 2],
                    found[found.len() - 1],
                    mean
                )
            };
            println!("{:<12} {:<6} {row}", strategy.to_string(), name);
        }
    }
}

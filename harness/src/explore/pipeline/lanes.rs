//! Lanes: the executions of an exploration, dealt out so that they can run on several
//! threads without the verdict depending on how many.
//!
//! The iterations are dealt to a fixed number of lanes (not threads), each exploring with
//! a seed of its own. The failure reported is the first one of the lowest failing lane,
//! and a lane gives up early only when a lower lane has failed: so the lowest failing
//! lane always runs to its failure, whatever the timing, and the same command finds the
//! same execution on any machine.
//!
//! By default the lanes run one after the other on the test's thread. `Scenario::threads`
//! runs them in parallel, for scenarios whose executions share nothing (no `static`, no
//! state captured by the body): executions of different lanes then run at the same time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::engine::shuttle::{self as engine, Body, Explored, GiveUp, Plan};
use crate::explore::config::Config;
use crate::explore::strategies::Strategy;

/// Lanes of an exploration: a constant, so that reports are the same on every machine.
const LANES: usize = 4;
/// Fewer iterations than this per lane run in one lane: threads would cost more than they give.
const MIN_PER_LANE: usize = 32;

/// Explores `body` with the configured strategy, lane by lane, on `config.threads` threads.
pub(crate) fn explore(config: &Config, seed: u64, body: &Body, deadline: Option<Instant>) -> Explored {
    // DFS enumerates one tree: it cannot be dealt out.
    let lanes = if config.strategy == Strategy::Dfs || config.iterations < LANES * MIN_PER_LANE { 1 } else { LANES };
    let threads = config.threads.unwrap_or(1).min(lanes);
    let run = |lane: usize, give_up: Option<Box<dyn Fn() -> bool>>| {
        run_lane(config, lane_seed(seed, lane), lane_iterations(config, lanes, lane), body, deadline, give_up)
    };
    if threads == 1 {
        let mut results: Vec<Explored> = Vec::with_capacity(lanes);
        for lane in 0..lanes {
            // Once a lane has failed, the higher ones have nothing to add.
            let failed = results.iter().any(|exploration| exploration.failed.is_some());
            results.push(if failed { Explored::default() } else { run(lane, None) });
        }
        return merge(results);
    }
    let lowest_failed = Arc::new(AtomicUsize::new(usize::MAX));
    let next_lane = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Explored>>> = Mutex::new((0..lanes).map(|_| None).collect());
    let heartbeat = crate::run::heartbeat::current();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            // Named: a thread that carries the exploration's OS name is one the test started.
            let lane = std::thread::Builder::new().name("racewright-lane".into());
            lane.spawn_scoped(scope, || {
                crate::run::heartbeat::adopt(heartbeat.clone());
                loop {
                    let lane = next_lane.fetch_add(1, Ordering::SeqCst);
                    if lane >= lanes {
                        break;
                    }
                    let (watched, heartbeat) = (lowest_failed.clone(), heartbeat.clone());
                    // A lower lane failed, or the watchdog gave the exploration up.
                    let give_up = move || {
                        watched.load(Ordering::SeqCst) < lane || heartbeat.as_ref().is_some_and(|h| h.is_abandoned())
                    };
                    let exploration = run(lane, Some(Box::new(give_up)));
                    if exploration.failed.is_some() {
                        lowest_failed.fetch_min(lane, Ordering::SeqCst);
                    }
                    results.lock().unwrap_or_else(|poisoned| poisoned.into_inner())[lane] = Some(exploration);
                }
            })
            .expect("racewright: could not start a lane's thread");
        }
    });
    let results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    merge(results.into_iter().map(Option::unwrap_or_default).collect())
}

fn run_lane(
    config: &Config,
    seed: u64,
    iterations: usize,
    body: &Body,
    deadline: Option<Instant>,
    give_up: Option<GiveUp>,
) -> Explored {
    let plan = Plan { settings: Arc::new(config.settings()), iterations, deadline };
    engine::explore(plan, config.strategy.scheduler(seed, iterations), give_up, body.clone())
}

/// The seed of lane `lane`: lane 0 keeps the exploration's own.
fn lane_seed(seed: u64, lane: usize) -> u64 {
    seed ^ (lane as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// One exploration made of the lanes' explorations: the lowest failing lane's failure,
/// numbered by the executions that ran up to it, its own included (every lane before it
/// ran all of its executions, whatever the number of threads).
fn merge(lanes: Vec<Explored>) -> Explored {
    let mut merged = Explored::default();
    for exploration in lanes {
        merged.executions += exploration.executions;
        merged.distinct_schedules += exploration.distinct_schedules;
        merged.out_of_time |= exploration.out_of_time;
        merged.max_tasks = merged.max_tasks.max(exploration.max_tasks);
        merged.interleaving = merged.interleaving.max(exploration.interleaving);
        for note in exploration.notes {
            if !merged.notes.contains(&note) {
                merged.notes.push(note);
            }
        }
        merged.metrics.absorb(&exploration.metrics);
        if merged.harness_error.is_none() {
            merged.harness_error = exploration.harness_error;
        }
        if merged.failed.is_none() {
            let before = merged.executions - exploration.executions;
            merged.failed = exploration.failed.map(|(index, state)| (before + index, state));
        }
    }
    merged
}

/// The iterations of lane `lane`: an equal share, the first lanes taking the remainder.
fn lane_iterations(config: &Config, lanes: usize, lane: usize) -> usize {
    config.iterations / lanes + usize::from(lane < config.iterations % lanes)
}

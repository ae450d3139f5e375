//! Lanes: the executions of an exploration, dealt out so that they can run on several
//! threads without the verdict depending on how many.
//!
//! The iterations are dealt to a fixed number of lanes (not threads), each exploring with
//! a seed of its own. The failure reported is the first one of the lowest failing lane,
//! and a lane gives up early only when a lower lane has failed: so the lowest failing
//! lane always runs to its failure, whatever the timing, and the same command finds the
//! same execution on any machine.
//!
//! By default the lanes run on every core that is idle, when the scenario's executions
//! leave each other alone: a probe runs one execution twice with the same choices, and a
//! second run that takes another schedule or ends otherwise (a `static` or thread-local
//! carried from one execution to the next), or a racewright primitive used that the
//! execution did not make (a `static` one, which concurrent executions would share),
//! keeps the lanes on the test's thread, with a note. Cores are counted across the
//! process: tests that cargo already runs side by side start no helper threads on a
//! machine they fill. `Scenario::threads` sets the number.

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use crate::engine::shuttle::{self as engine, Body, Explored, GiveUp, Plan};
use crate::explore::config::Config;
use crate::explore::strategies::Strategy;

/// Lanes of an exploration: a constant, so that reports are the same on every machine.
const LANES: usize = 4;
/// Fewer iterations than this per lane run in one lane: threads would cost more than they give.
const MIN_PER_LANE: usize = 32;

/// The note of a report whose executions carried state from one to the next.
pub(crate) const SHARED_STATE_NOTE: &str = "the executions share state: a racewright primitive made outside \
     them (a `static`, or one the scenario's closure captured) is used by each, or the same execution, run twice \
     with the same choices, took another course the second time (a `static` or thread-local carried from one to \
     the next, the real clock); so each may depend on the ones before it, and a replay may not find the same \
     failure; racewright explored on one thread (README, \"What racewright cannot see\")";

/// Threads exploring in this process now: each exploration's own, and the lanes' helpers.
static EXPLORING: AtomicUsize = AtomicUsize::new(0);

/// Counts the calling thread among those exploring while it lives.
struct Exploring;

impl Exploring {
    fn enter() -> Exploring {
        EXPLORING.fetch_add(1, Ordering::SeqCst);
        Exploring
    }

    /// One more thread, if a core is idle.
    fn one_more(cores: usize) -> Option<Exploring> {
        EXPLORING.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |busy| (busy < cores).then_some(busy + 1)).ok()?;
        Some(Exploring)
    }
}

impl Drop for Exploring {
    fn drop(&mut self) {
        EXPLORING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Explores `body` with the configured strategy, lane by lane, on as many threads as
/// `config.threads` says (idle cores when it says nothing).
pub(crate) fn explore(config: &Config, seed: u64, body: &Body, deadline: Option<Instant>) -> Explored {
    let _exploring = Exploring::enter();
    // DFS enumerates one tree: it cannot be dealt out.
    let lanes = if config.strategy == Strategy::Dfs || config.iterations < LANES * MIN_PER_LANE { 1 } else { LANES };
    let mut shared_state = false;
    let helpers: Vec<Exploring> = match config.threads {
        _ if lanes == 1 => Vec::new(),
        // Declared: exactly that many threads.
        Some(threads) => (1..threads.min(lanes)).map(|_| Exploring::enter()).collect(),
        // The probe runs whatever the cores: its note, and its failure, are the report's.
        None => match probe(config, seed, body, lane_iterations(config, lanes, 0)) {
            Probe::Independent => {
                let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
                (1..lanes).map_while(|_| Exploring::one_more(cores)).collect()
            }
            Probe::Dependent => {
                shared_state = true;
                Vec::new()
            }
            // Lane 0's first execution, as the lanes would have run it: its failure is theirs.
            Probe::Failed(first) => return *first,
        },
    };
    let mut explored = run_lanes(config, seed, body, deadline, lanes, helpers);
    if shared_state {
        explored.notes.push(SHARED_STATE_NOTE.to_string());
    }
    explored
}

/// Runs the lanes on this thread and one helper thread per `helpers`.
fn run_lanes(
    config: &Config,
    seed: u64,
    body: &Body,
    deadline: Option<Instant>,
    lanes: usize,
    helpers: Vec<Exploring>,
) -> Explored {
    let run = |lane: usize, give_up: Option<GiveUp>| {
        run_lane(config, lane_seed(seed, lane), lane_iterations(config, lanes, lane), body, deadline, give_up)
    };
    if helpers.is_empty() {
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
    // Takes lanes until none is left.
    let work = || {
        loop {
            let lane = next_lane.fetch_add(1, Ordering::SeqCst);
            if lane >= lanes {
                break;
            }
            let (watched, heartbeat) = (lowest_failed.clone(), heartbeat.clone());
            // A lower lane failed, or the watchdog gave the exploration up.
            let give_up =
                move || watched.load(Ordering::SeqCst) < lane || heartbeat.as_ref().is_some_and(|h| h.is_abandoned());
            let exploration = run(lane, Some(Rc::new(give_up)));
            if exploration.failed.is_some() {
                lowest_failed.fetch_min(lane, Ordering::SeqCst);
            }
            results.lock().unwrap_or_else(|poisoned| poisoned.into_inner())[lane] = Some(exploration);
        }
    };
    std::thread::scope(|scope| {
        for helper in helpers {
            // Named: a thread that carries the exploration's OS name is one the test started.
            let thread = std::thread::Builder::new().name("racewright-lane".into());
            let heartbeat = heartbeat.clone();
            let work = &work;
            thread
                .spawn_scoped(scope, move || {
                    let _helper = helper;
                    crate::run::heartbeat::adopt(heartbeat);
                    work();
                })
                .expect("racewright: could not start a lane's thread");
        }
        work();
    });
    let results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    merge(results.into_iter().map(Option::unwrap_or_default).collect())
}

/// Whether the executions of a scenario leave each other alone.
enum Probe {
    Independent,
    /// The same execution went otherwise the second time.
    Dependent,
    /// The first execution failed: no answer, and the exploration's verdict (it is the
    /// first execution of the first lane).
    Failed(Box<Explored>),
}

/// Runs the first execution of lane 0 (of `iterations`) twice with the same choices: it
/// must take the same schedule, end the same way, and use only primitives it made. What
/// is carried from one execution to the next outside racewright (a counter in a `static`,
/// a cache in a thread-local) shows as a second run that goes otherwise; a racewright
/// primitive in a `static`, which concurrent executions would share, as a primitive the
/// execution did not make.
fn probe(config: &Config, seed: u64, body: &Body, iterations: usize) -> Probe {
    let plan = Plan { settings: Arc::new(config.settings()), iterations: 2, deadline: None };
    let strategy = config.strategy;
    let repeat = || -> Box<dyn Scheduler> {
        let fresh = move || strategy.scheduler(lane_seed(seed, 0), iterations);
        Box::new(Repeat { fresh: Box::new(fresh), current: None })
    };
    crate::run::execution::take_outlived();
    let probe = engine::search(&plan, &repeat, None, body);
    let outlived = crate::run::execution::take_outlived();
    match &probe.failed {
        Some((1, _)) => Probe::Failed(Box::new(probe)),
        _ if probe.harness_error.is_some() => Probe::Failed(Box::new(probe)),
        Some(_) => Probe::Dependent,
        None if probe.distinct_schedules == 1 && !outlived => Probe::Independent,
        None => Probe::Dependent,
    }
}

/// A scheduler that makes the same choices in every execution: a fresh one each time.
struct Repeat {
    fresh: Box<dyn Fn() -> Box<dyn Scheduler>>,
    current: Option<Box<dyn Scheduler>>,
}

impl Scheduler for Repeat {
    fn new_execution(&mut self) -> Option<Schedule> {
        let scheduler = self.current.insert((self.fresh)());
        scheduler.new_execution()
    }

    fn next_task(&mut self, runnable: &[&Task], current: Option<TaskId>, is_yielding: bool) -> Option<TaskId> {
        self.current.as_mut()?.next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.current.as_mut().map_or(0, |scheduler| scheduler.next_u64())
    }
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
    engine::search(&plan, &|| config.strategy.scheduler(seed, iterations), give_up, body)
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

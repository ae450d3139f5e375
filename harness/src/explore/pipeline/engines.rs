//! Which engine explores a scenario: shuttle (`pipeline.rs`), loom, or both in turn.

use std::sync::Arc;
use std::time::Instant;

use super::Replaying;
use super::child;
use super::origin::Origin;
use super::shuttle as pipeline;
use super::watchdog::Watched;
use crate::engine::Plan;
use crate::engine::loom::{self as engine, LastWords, MAX_TASKS};
use crate::engine::{Body, Explored};
use crate::explore::config::{Config, EngineChoice, seed_for};
use crate::explore::env;
use crate::report::{Replayed, Report};
use crate::run::execution::ExecutionState;

/// Explores `body` on the engines `config` asks for, or replays `replay`.
pub(crate) fn run(
    name: &str,
    config: &Config,
    origin: Option<&Origin>,
    body: Body,
    replay: Option<Replaying<'_>>,
) -> Report {
    // A loom child runs the loom exploration, hands its report over and ends.
    if let Some(path) = env::loom_child() {
        child::serve(&path, loom_here(name, config, body, Some(path.clone())));
    }
    // Replay tokens are shuttle's: loom's exploration is deterministic and has none.
    if replay.is_some() {
        return pipeline::run(name, config, origin, body, replay);
    }
    match config.engine {
        EngineChoice::Shuttle => pipeline::run(name, config, origin, body, None),
        EngineChoice::Loom => loom(name, config, origin, body),
        EngineChoice::All => {
            let shuttle = pipeline::run(name, config, origin, body.clone(), None);
            if shuttle.harness_error().is_some() {
                return shuttle;
            }
            if let Some(why) = misfit(config, shuttle.max_tasks()) {
                return shuttle.with_skipped("loom", why);
            }
            let loom = loom(name, config, origin, body);
            // The report shows the first engine that failed; the other's verdict is a line.
            if shuttle.failure().is_none() && (loom.failure().is_some() || loom.harness_error().is_some()) {
                loom.with_also(&shuttle)
            } else {
                shuttle.with_also(&loom)
            }
        }
    }
}

/// Why the scenario cannot run on loom, as the shuttle run saw it.
fn misfit(config: &Config, max_tasks: usize) -> Option<String> {
    if let Some(why) = engine::unexplorable(&config.settings()) {
        return Some(why.to_string());
    }
    (max_tasks > MAX_TASKS).then(|| {
        format!("the scenario spawned {max_tasks} tasks, and loom models at most {MAX_TASKS} besides the body")
    })
}

/// The loom exploration, in a child process when the test can be run again by name.
fn loom(name: &str, config: &Config, origin: Option<&Origin>, body: Body) -> Report {
    let report = match origin {
        Some(origin) => {
            let report = loom_report(name, config);
            child::run(origin, &|| report(Explored::default()))
        }
        // Without a test to re-run, a loom abort (loom#291) would take this process along.
        None => loom_here(name, config, body, None),
    };
    match origin {
        Some(origin) if report.failure().is_some() => {
            let rerun = rerun(origin, &report);
            report.with_replay(rerun)
        }
        _ => report,
    }
}

/// Runs the loom exploration in this process. `last_words` is where to write the report
/// of an execution loom is about to abort the process over.
fn loom_here(name: &str, config: &Config, body: Body, last_words: Option<std::path::PathBuf>) -> Report {
    let blank = loom_report(name, config)(Explored::default());
    let (name, config) = (name.to_string(), config.clone());
    // loom's own locks are around every primitive's state: there is no switching only
    // where tasks return `Pending` to fall back on, so a block is given up at the stall.
    match super::watchdog::watched(blank, config.stall, false, move || explore_loom(&name, &config, body, last_words)) {
        Watched::Done(report) => *report,
        Watched::Blocked(_) => unreachable!("asked to wait for the stall"),
    }
}

fn explore_loom(name: &str, config: &Config, body: Body, last_words: Option<std::path::PathBuf>) -> Report {
    let report = loom_report(name, config);
    let last_words = || {
        last_words.clone().map(|path| {
            let report = report.clone();
            Box::new(move |state: &ExecutionState, execution: usize| {
                let report = report(Explored::default()).failing_at(execution, state).note(
                    "loom then aborted the process (a second panic while unwinding, loom#291); this is the execution \
                     as racewright last saw it"
                        .into(),
                );
                child::write(&path, &report);
            }) as LastWords
        })
    };
    let deadline = config.budget.map(|budget| Instant::now() + budget);
    // The search keeps no trace, as shuttle's does (`pipeline::run`). Loom's search is
    // deterministic: the same search, cut at the failing execution, reaches it again
    // with the trace, for the report.
    let searching = Config { record_trace: false, ..config.clone() };
    let plan = Plan { settings: Arc::new(searching.settings()), iterations: config.loom_iterations(), deadline };
    let mut explored = engine::explore(plan, config.preemption_bound, last_words(), body.clone());
    if let Some(index) = explored.failed.as_ref().map(|(index, _)| *index).filter(|_| config.record_trace) {
        let plan = Plan { settings: Arc::new(config.settings()), iterations: index, deadline: None };
        let traced = engine::explore(plan, config.preemption_bound, last_words(), body);
        if let Some(failed) = traced.failed.filter(|(again, _)| *again == index) {
            explored.failed = Some(failed);
        }
    }
    report(explored)
}

/// Makes the report of a loom exploration of `name`, the same in this process and in a
/// loom child's.
fn loom_report(name: &str, config: &Config) -> impl Fn(Explored) -> Report + Clone + 'static {
    let name = name.to_string();
    let seed = config.seed.unwrap_or_else(|| seed_for(&name));
    let strategy = format!("dpor (preemption bound {})", config.preemption_bound);
    let iterations = config.loom_iterations();
    move |exploration| Report::new(&name, "loom", strategy.clone(), seed, iterations, exploration, None)
}

/// How to see a loom failure again: loom's exploration is deterministic, so running the
/// test again fails at the same execution. There is no token: loom cannot be asked to
/// run one execution of its search by itself.
fn rerun(origin: &Origin, report: &Report) -> Replayed {
    let execution = report.failing_execution().unwrap_or(report.executions());
    Replayed {
        token: String::new(),
        command: format!(
            "RACEWRIGHT_ENGINE=loom {}   (loom's search is deterministic: execution {execution} fails again)",
            origin.cargo_test()
        ),
        found_preemptions: report.preemptions(),
        kept: false,
    }
}

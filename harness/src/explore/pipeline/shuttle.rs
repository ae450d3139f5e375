//! One exploration, start to end: explore, shrink what failed, check that it replays,
//! and build the report. Or, given a replay token, replay that one execution, to its end
//! or to a step where it stops (`stop.rs`).

use std::cell::{Cell, RefCell};
use std::io::Write as _;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use shuttle::scheduler::Scheduler;

use super::Replaying;
use super::origin::Origin;
use super::replay::{Divergence, Replay, Token, scenario_hash};
use super::shrink;
use super::stop::{Describe, StopAt, pause};
use super::watchdog::Watched;
use crate::detect::{self, Failure, FailureKind};
use crate::engine::shuttle::{self as engine, Body, Explored, Plan};
use crate::explore::config::{Config, SwitchPoints, seed_for};
use crate::report::{Replayed, Report};
use crate::run::execution::ExecutionState;

/// Explores `body` under `config`, or replays `replay`, watched by the watchdog.
pub(crate) fn run(
    name: &str,
    config: &Config,
    origin: Option<&Origin>,
    body: Body,
    replay: Option<Replaying<'_>>,
) -> Report {
    let seed = config.seed.unwrap_or_else(|| seed_for(name));
    let blank =
        Report::new(name, "shuttle", config.strategy.to_string(), seed, config.iterations, Explored::default(), None);
    let replay = replay.map(|replaying| (replaying.token.to_string(), replaying.stop_at));
    let watch = |config: Config, blocked: bool| {
        let (name, origin, body, replay, blank) =
            (name.to_string(), origin.cloned(), body.clone(), replay.clone(), blank.clone());
        super::watchdog::watched(blank, config.stall, blocked, move || {
            let replay = replay.as_ref().map(|(token, stop_at)| Replaying { token, stop_at: *stop_at });
            explore(&name, &config, origin.as_ref(), body, replay)
        })
    };
    // A replay runs as its token's exploration did, and is given up only at the stall.
    let falls_back = replay.is_none() && config.switch_points == SwitchPoints::EveryCall;
    let blocked = match watch(config.clone(), falls_back) {
        Watched::Done(report) => return *report,
        Watched::Blocked(whereabouts) => whereabouts,
    };
    // A task blocked the thread on a lock racewright cannot see, most likely held by the
    // task switched away from inside a synchronous call: explore again, switching only
    // where tasks return `Pending`, as tokio suspends them.
    let _ = writeln!(
        std::io::stderr().lock(),
        "racewright: an execution of `{name}` blocked outside racewright's control ({}); exploring again, \
         switching tasks only where they return Pending",
        detect::step_limit::blocked_task(&blocked)
    );
    let config = Config { switch_points: SwitchPoints::Pending, ..config.clone() };
    match watch(config, false) {
        Watched::Done(report) => report.with_note(detect::step_limit::BLOCKED_NOTE),
        Watched::Blocked(_) => unreachable!("asked to wait for the stall"),
    }
}

fn explore(name: &str, config: &Config, origin: Option<&Origin>, body: Body, replay: Option<Replaying<'_>>) -> Report {
    let seed = config.seed.unwrap_or_else(|| seed_for(name));
    let settings = Arc::new(config.settings());
    let pending_settings = Arc::new(Config { switch_points: SwitchPoints::Pending, ..config.clone() }.settings());
    // One execution, as `scheduler` chooses, where tasks switch as `switch_points` says.
    let run_in = |switch_points: SwitchPoints, scheduler: Box<dyn Scheduler>| {
        let settings = match switch_points {
            SwitchPoints::EveryCall => settings.clone(),
            SwitchPoints::Pending => pending_settings.clone(),
        };
        engine::explore(Plan { settings, iterations: 1, deadline: None }, scheduler, None, body.clone())
    };
    // One execution of this exploration: a shrinking candidate.
    let run_once = |scheduler: Box<dyn Scheduler>| run_in(config.switch_points, scheduler);
    let report = |exploration: Explored, replayed: Option<Replayed>| {
        Report::new(name, "shuttle", config.strategy.to_string(), seed, config.iterations, exploration, replayed)
    };

    if let Some(Replaying { token: text, stop_at }) = replay {
        let token = Token::decode(text, name).unwrap_or_else(|error| panic!("{error}"));
        if let Some(step) = stop_at {
            let describe: Describe = {
                let (name, strategy, iterations) = (name.to_string(), config.strategy.to_string(), config.iterations);
                let replayed = replayed(&token, origin);
                Rc::new(move |state| {
                    Report::new(&name, "shuttle", strategy.clone(), seed, iterations, Explored::default(), None)
                        .failing_at(token.execution, state)
                        .with_replay(replayed.clone())
                })
            };
            return stop_at_step(&|scheduler| run_in(token.switch_points, scheduler), &token, step, describe);
        }
        let (mut exploration, divergence) = replay_token(&|scheduler| run_in(token.switch_points, scheduler), &token);
        let replayed_kind =
            exploration.failed.as_ref().and_then(|(_, state)| state.findings.first()).map(Failure::kind);
        if let (Some(divergence), Some((_, state))) = (&divergence, exploration.failed.as_mut()) {
            state.findings.insert(0, diverged(divergence));
        }
        let report = report(exploration, Some(replayed(&token, origin)));
        if divergence.is_some() || replayed_kind != Some(token.kind) {
            not_the_token_s(&token, divergence.as_ref(), replayed_kind, Some(&report));
        }
        return report;
    }

    // Failures found by earlier runs come first.
    for text in origin.map(super::regressions::load).unwrap_or_default() {
        let Ok(token) = Token::decode(&text, name) else {
            eprintln!("racewright: skipping a kept schedule of `{name}` that this version cannot replay: {text}");
            continue;
        };
        let (exploration, divergence) = replay_token(&|scheduler| run_in(token.switch_points, scheduler), &token);
        if divergence.is_none() && exploration.failed.is_some() {
            let replayed = Replayed { kept: true, ..replayed(&token, origin) };
            return report(exploration, Some(replayed));
        }
    }

    let deadline = config.budget.map(|budget| Instant::now() + budget);
    // The search keeps no trace: no finding depends on one, and formatting every event of
    // thousands of executions is most of the cost of recording. The failing execution
    // is run again with it (replays are exact), for the report.
    let searching = Config { record_trace: false, ..config.clone() };
    let mut exploration = super::lanes::explore(&searching, seed, &body, deadline);
    // A sample cut short by the budget is no answer, as loom's exhaustive search is not.
    if exploration.out_of_time && exploration.failed.is_none() {
        exploration.limit = Some(format!(
            "the time budget ended the exploration after {} of {} executions",
            exploration.executions, config.iterations
        ));
    }
    let Some((index, found)) = exploration.failed.take() else { return report(exploration, None) };
    let found = match config.record_trace {
        true => run_once(Box::new(Replay::guided(found.scheduler.choices.clone(), found.scheduler.randoms.clone())))
            .failed
            .map_or(found, |(_, traced)| traced),
        false => found,
    };

    let found_preemptions = found.scheduler.preemptions.len();
    let rerun = |choices: Vec<usize>, randoms: Vec<u64>| {
        run_once(Box::new(Replay::guided(choices, randoms))).failed.map(|(_, state)| state)
    };
    let mut shrunk = shrink::shrink(&rerun, found);
    let kind = shrunk.findings.first().map(Failure::kind).expect("a failing execution has a finding");
    if let Some(finding) = nondeterminism(&run_once, &shrunk) {
        shrunk.findings.insert(0, finding);
    }
    let token = Token {
        scenario: scenario_hash(name),
        execution: index,
        found_preemptions,
        kind,
        switch_points: config.switch_points,
        choices: shrunk.scheduler.choices.clone(),
        randoms: shrunk.scheduler.randoms.clone(),
    };
    exploration.failed = Some((index, shrunk));
    let replayed = replayed(&token, origin);
    report(exploration, Some(replayed))
}

/// Runs one execution as the given scheduler chooses.
type RunOnce<'a> = dyn Fn(Box<dyn Scheduler>) -> Explored + 'a;

/// A replay that did not run as its token's execution did: the code or the scenario
/// changed since, and the token replays something else.
fn not_the_token_s(
    token: &Token,
    divergence: Option<&Divergence>,
    replayed: Option<FailureKind>,
    report: Option<&Report>,
) -> ! {
    let how = match (divergence, replayed) {
        (Some(divergence), _) => diverged(divergence).message().to_string(),
        (None, None) => "its replay passed".to_string(),
        (None, Some(kind)) => format!("its replay failed with `{kind}` instead"),
    };
    let report = report.map(|report| format!("\n\n{report}")).unwrap_or_default();
    panic!(
        "racewright: RACEWRIGHT_REPLAY: the token's execution ends in `{}`, but {how}: the code or the scenario \
         changed since the token was made, or the scenario depends on something racewright does not \
         control{report}",
        token.kind
    );
}

/// Replays a token's execution up to `step` and stops there: the report of what happened
/// up to it, with the state at that step.
fn stop_at_step(run_once: &RunOnce<'_>, token: &Token, step: usize, describe: Describe) -> Report {
    let divergence = Rc::new(Cell::new(None));
    let stopped = Rc::new(RefCell::new(None));
    let replay = Replay::strict(token.choices.clone(), token.randoms.clone(), divergence.clone());
    let exploration = run_once(Box::new(StopAt::new(replay, step, describe.clone(), stopped.clone())));
    let ended = exploration.failed.map(|(_, state)| state);
    let kind = ended.as_ref().and_then(|state| state.findings.first()).map(Failure::kind);
    match (divergence.take(), stopped.take(), ended) {
        (None, Some(report), _) => report,
        // The execution ended before the scheduler was asked for a choice after `step`.
        (None, None, Some(state)) if kind == Some(token.kind) => {
            let (last, report) = (state.scheduler.steps, describe(&state));
            if step > last {
                panic!(
                    "racewright: RACEWRIGHT_STOP_AT={step} is past the end of the token's execution, whose last \
                     step is {last}; stop at a step of its timeline\n\n{report}"
                );
            }
            let report = report.stopped(step, step == last);
            pause(step, &report);
            report
        }
        (divergence, stopped, ended) => {
            let report = stopped.or_else(|| ended.map(|state| describe(&state)));
            not_the_token_s(token, divergence.as_ref(), kind, report.as_ref())
        }
    }
}

fn replay_strictly(run_once: &RunOnce<'_>, choices: &[usize], randoms: &[u64]) -> (Explored, Option<Divergence>) {
    let divergence = Rc::new(Cell::new(None));
    let scheduler = Replay::strict(choices.to_vec(), randoms.to_vec(), divergence.clone());
    let exploration = run_once(Box::new(scheduler));
    (exploration, divergence.take())
}

/// Replays a token's execution, numbered as when it was found.
fn replay_token(run_once: &RunOnce<'_>, token: &Token) -> (Explored, Option<Divergence>) {
    let (mut exploration, divergence) = replay_strictly(run_once, &token.choices, &token.randoms);
    if let Some((index, _)) = exploration.failed.as_mut() {
        *index = token.execution;
    }
    (exploration, divergence)
}

/// Replays the failing schedule once more: a scenario that reads real time, OS
/// randomness or a `HashMap`'s order does not fail the same way twice.
fn nondeterminism(run_once: &RunOnce<'_>, failing: &ExecutionState) -> Option<Failure> {
    let (again, divergence) = replay_strictly(run_once, &failing.scheduler.choices, &failing.scheduler.randoms);
    if let Some(divergence) = divergence {
        return Some(diverged(&divergence));
    }
    detect::nondeterminism::compare(failing, again.failed.as_ref().map(|(_, state)| state))
}

fn diverged(divergence: &Divergence) -> Failure {
    match divergence {
        Divergence::Blocked { decision, wanted, runnable } => {
            detect::nondeterminism::diverged(*decision, wanted, runnable)
        }
        Divergence::Ended { decisions } => detect::nondeterminism::outran(*decisions),
    }
}

fn replayed(token: &Token, origin: Option<&Origin>) -> Replayed {
    let encoded = token.encode();
    let command = match origin {
        Some(origin) => format!("RACEWRIGHT_REPLAY={encoded} {}", origin.cargo_test()),
        None => format!("RACEWRIGHT_REPLAY={encoded} (then run this test again)"),
    };
    Replayed { token: encoded, command, found_preemptions: token.found_preemptions, kept: false }
}

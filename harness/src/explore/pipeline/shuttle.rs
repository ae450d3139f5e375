//! One exploration, start to end: explore, shrink what failed, check that it replays,
//! and build the report. Or, given a replay token, replay that one execution.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use shuttle::scheduler::Scheduler;

use super::origin::Origin;
use super::replay::{Divergence, Replay, Token, scenario_hash};
use super::shrink;
use crate::detect::{self, Failure};
use crate::engine::shuttle::{self as engine, Body, Explored, Plan};
use crate::explore::config::{Config, seed_for};
use crate::report::{Replayed, Report};
use crate::run::execution::ExecutionState;

/// Explores `body` under `config`, or replays `replay`.
pub(crate) fn run(name: &str, config: &Config, origin: Option<&Origin>, body: Body, replay: Option<&str>) -> Report {
    let _watchdog = super::watchdog::arm(name, config.budget);
    let seed = config.seed.unwrap_or_else(|| seed_for(name));
    let settings = Arc::new(config.settings());
    // One execution, as `scheduler` chooses: a replay, or a shrinking candidate.
    let run_once = |scheduler: Box<dyn Scheduler>| {
        engine::explore(
            Plan { settings: settings.clone(), iterations: 1, deadline: None },
            scheduler,
            None,
            body.clone(),
        )
    };
    let report = |exploration: Explored, replayed: Option<Replayed>| {
        Report::new(name, "shuttle", config.strategy.to_string(), seed, config.iterations, exploration, replayed)
    };

    if let Some(text) = replay {
        let token = Token::decode(text, name).unwrap_or_else(|error| panic!("{error}"));
        let (mut exploration, divergence) = replay_token(&run_once, &token);
        let replayed_kind =
            exploration.failed.as_ref().and_then(|(_, state)| state.findings.first()).map(Failure::kind);
        if let (Some(divergence), Some((_, state))) = (&divergence, exploration.failed.as_mut()) {
            state.findings.insert(0, diverged(divergence));
        }
        let report = report(exploration, Some(replayed(&token, origin)));
        if divergence.is_some() || replayed_kind != Some(token.kind) {
            let how = match (&divergence, replayed_kind) {
                (Some(divergence), _) => diverged(divergence).message().to_string(),
                (None, None) => "its replay passed".to_string(),
                (None, Some(kind)) => format!("its replay failed with `{kind}` instead"),
            };
            panic!(
                "racewright: RACEWRIGHT_REPLAY: the token's execution ends in `{}`, but {how}: the code or the \
                 scenario changed since the token was made, or the scenario depends on something racewright \
                 does not control\n\n{report}",
                token.kind
            );
        }
        return report;
    }

    // Failures found by earlier runs come first.
    for text in origin.map(super::regressions::load).unwrap_or_default() {
        let Ok(token) = Token::decode(&text, name) else {
            eprintln!("racewright: skipping a kept schedule of `{name}` that this version cannot replay: {text}");
            continue;
        };
        let (exploration, divergence) = replay_token(&run_once, &token);
        if divergence.is_none() && exploration.failed.is_some() {
            let replayed = Replayed { kept: true, ..replayed(&token, origin) };
            return report(exploration, Some(replayed));
        }
    }

    let deadline = config.budget.map(|budget| Instant::now() + budget);
    let mut exploration = super::lanes::explore(config, seed, &body, deadline);
    // A sample cut short by the budget is no answer, as loom's exhaustive search is not.
    if exploration.out_of_time && exploration.failed.is_none() {
        exploration.limit = Some(format!(
            "the time budget ended the exploration after {} of {} executions",
            exploration.executions, config.iterations
        ));
    }
    let Some((index, found)) = exploration.failed.take() else { return report(exploration, None) };

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
        choices: shrunk.scheduler.choices.clone(),
        randoms: shrunk.scheduler.randoms.clone(),
    };
    exploration.failed = Some((index, shrunk));
    let replayed = replayed(&token, origin);
    report(exploration, Some(replayed))
}

/// Runs one execution as the given scheduler chooses.
type RunOnce<'a> = dyn Fn(Box<dyn Scheduler>) -> Explored + 'a;

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

//! Step limit: an execution that never ends on its own (livelock, spin loop).

use std::collections::BTreeMap;

use super::{Failure, FailureKind, Moment, TaskRef};
use crate::run::execution::ExecutionState;
use crate::run::heartbeat::Whereabouts;

/// How many of the last decisions are looked at to tell which tasks kept running.
const RECENT_STEPS: usize = 1_000;

/// Describes an execution that reached `max_steps` scheduling decisions.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    if !matches!(moment, Moment::StepLimit) {
        return Vec::new();
    }
    vec![finding(state)]
}

/// The step-limit finding: which tasks kept running.
pub(crate) fn finding(state: &ExecutionState) -> Failure {
    let max_steps = state.settings.max_steps;
    let mut failure = Failure::new(
        FailureKind::StepLimit,
        format!("the execution took more than {max_steps} scheduling steps (livelock or spin loop?)"),
    );
    let recent = &state.scheduler.choices[state.scheduler.choices.len().saturating_sub(RECENT_STEPS)..];
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for key in recent {
        if let Some(task) = state.tasks.by_choice_key(*key) {
            *counts.entry(task.0).or_default() += 1;
        }
    }
    for (id, count) in counts {
        let task = state.tasks.get(crate::model::tasks::TaskId(id));
        let at = task
            .waiting
            .as_ref()
            .map(|wait| format!(", last waited in {} at {}", wait.operation, crate::model::paths::location(wait.at)))
            .unwrap_or_default();
        failure = failure.detail(format!("{} ran {count} of the last {} steps{at}", TaskRef::of(task), recent.len()));
    }
    failure
}

/// An execution that reached no scheduling point for `stall`: a task spins without a
/// racewright call, or blocks on what racewright does not control. `stuck` is where the
/// watchdog last heard of it (`None` when no execution was running).
pub(crate) fn stalled(stall: std::time::Duration, stuck: Option<&Whereabouts>) -> Failure {
    let mut failure = Failure::new(
        FailureKind::StepLimit,
        format!(
            "no scheduling point for {stall:?}: a task spins without calling racewright, or blocks on something \
             racewright does not control (a std lock, real I/O, a thread or a tokio runtime of its own), so the \
             execution never came back to the scheduler"
        ),
    );
    let Some(stuck) = stuck else {
        return failure.detail(
            "no execution was running: the exploration is stuck between executions, in the test's code outside \
             its body or in racewright's own (a bug of racewright)",
        );
    };
    let task = |id: usize| TaskRef { id, name: stuck.name_of(id) };
    let last_call = |id: usize| stuck.tasks.get(id).and_then(Option::as_ref).and_then(|seen| seen.last_call);
    let describe = |(operation, at, step): (&str, &'static std::panic::Location<'static>, usize)| {
        format!("`{operation}` at {} (step {step})", crate::model::paths::location(at))
    };
    if let Some((running, since)) = stuck.running {
        let call = last_call(running);
        failure = failure.in_task(task(running)).at(call.map(|(_, at, _)| crate::model::paths::location(at)));
        failure = failure.detail(format!(
            "task {} runs since step {since} and never came back to the scheduler; {}",
            task(running),
            match call {
                Some(call) => format!("its last racewright call was {}", describe(call)),
                None => "it made no racewright call before".to_string(),
            }
        ));
    }
    for id in (0..stuck.tasks.len()).filter(|id| stuck.running.is_none_or(|(running, _)| running != *id)) {
        if let Some(call) = last_call(id) {
            failure = failure.detail(format!("task {} last called {}", task(id), describe(call)));
        }
    }
    failure.detail(
        "racewright gave the exploration up and left its thread behind; RACEWRIGHT_STALL sets the limit, in seconds",
    )
}

/// The note of a report whose exploration went on after an execution blocked in the
/// kernel: it switched tasks only where they returned `Pending` from then on. (Which task
/// blocked is told on stderr: with lanes on threads, which lane blocked first may vary.)
pub(crate) const BLOCKED_NOTE: &str = "an execution blocked outside racewright's control, most likely on a lock \
     racewright cannot see (std's, parking_lot's) held by a task switched away from inside a synchronous call: \
     racewright explored again, switching tasks only where they return Pending, as tokio does, so races inside a \
     synchronous section were not explored (README, \"What racewright cannot see\")";

/// Where an execution blocked in the kernel: the task, and its last racewright call.
pub(crate) fn blocked_task(blocked: &Whereabouts) -> String {
    let Some((id, _)) = blocked.running else { return "a task".to_string() };
    let name = blocked.name_of(id);
    match blocked.tasks.get(id).and_then(Option::as_ref).and_then(|seen| seen.last_call) {
        Some((operation, at, _)) => {
            format!("task {id} `{name}`, after `{operation}` at {}", crate::model::paths::location(at))
        }
        None => format!("task {id} `{name}`"),
    }
}

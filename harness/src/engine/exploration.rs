//! What every engine shares: the body of a scenario, its life inside an execution, and
//! what an exploration hands back to the pipeline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::future::LocalBoxFuture;

use crate::detect::{self, Failure, FailureKind};
use crate::explore::execution::{self, ExecutionState, IdleReason};
use crate::task::catch::CatchPanic;
use crate::task::registry::{TaskId, TaskState};

/// What the body of a scenario returns: `Err` carries the error's `Debug` form.
pub(crate) type Outcome = Result<(), String>;

/// Makes one fresh body future per execution.
pub(crate) type Body = Arc<dyn Fn() -> LocalBoxFuture<'static, Outcome> + Send + Sync>;

/// What an exploration found.
#[derive(Default)]
pub(crate) struct Exploration {
    /// Executions run, the failing one included.
    pub(crate) executions: usize,
    /// The first failing execution: its number (from 1) and its state.
    pub(crate) failed: Option<(usize, ExecutionState)>,
    /// The wall-clock budget ended the exploration early.
    pub(crate) out_of_time: bool,
    /// How many different schedules the executions took.
    pub(crate) distinct_schedules: usize,
    /// A failure of racewright itself (never the user's).
    pub(crate) harness_error: Option<String>,
    /// Every interleaving within the bounds was explored (loom's exhaustive search ended).
    pub(crate) exhaustive: bool,
    /// Why the exploration stopped before it could say "no bug within the bounds": a limit
    /// of the engine or of the knobs. Never a pass on an engine that promises exhaustiveness.
    pub(crate) limit: Option<String>,
    /// The most tasks (besides the body) that one execution spawned.
    pub(crate) max_tasks: usize,
}

/// What an exploration has seen so far, across executions; the same for every engine.
#[derive(Default)]
pub(crate) struct Progress {
    /// Executions started.
    pub(crate) executions: usize,
    /// The first failing execution: its number (from 1) and its state.
    pub(crate) failed: Option<(usize, ExecutionState)>,
    pub(crate) out_of_time: bool,
    /// Hashes of the schedules run, to count the distinct ones.
    schedules: std::collections::HashSet<u64>,
    /// The most tasks (besides the body) one execution spawned: does the scenario fit loom?
    max_tasks: usize,
}

impl Progress {
    /// Takes in a finished execution; returns whether it failed (the first failure is kept).
    pub(crate) fn judge(&mut self, state: ExecutionState) -> bool {
        self.schedules.insert(schedule_hash(&state.schedule));
        self.max_tasks = self.max_tasks.max(state.tasks.iter().count() - 1);
        let failed = !state.findings.is_empty();
        if failed && self.failed.is_none() {
            self.failed = Some((self.executions, state));
        }
        failed
    }

    /// The exploration this progress amounts to.
    pub(crate) fn into_exploration(self, harness_error: Option<String>) -> Exploration {
        Exploration {
            executions: self.executions,
            failed: self.failed,
            out_of_time: self.out_of_time,
            distinct_schedules: self.schedules.len(),
            harness_error,
            max_tasks: self.max_tasks,
            ..Exploration::default()
        }
    }
}

/// FNV-1a over the choices: cheap, and only compared within one exploration.
fn schedule_hash(schedule: &[usize]) -> u64 {
    schedule.iter().fold(0xcbf2_9ce4_8422_2325, |hash, choice| (hash ^ *choice as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The body's life: run it, judge it, wind the other tasks down, judge what is left.
pub(crate) async fn supervise_body(body: LocalBoxFuture<'static, Outcome>) {
    let outcome = CatchPanic::new(crate::task::Instrumented::new(TaskId::BODY, body)).await;
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(Failure::new(FailureKind::Error, format!("the test returned Err: {error}"))),
        Err(panic) => Some(Failure::new(FailureKind::Panic, panic.message).at(panic.location)),
    };
    execution::with(|state| {
        let body = state.tasks.get_mut(TaskId::BODY);
        body.state = if failure.is_some() { TaskState::Panicked } else { TaskState::Finished };
        body.waiting = None;
        if let Some(failure) = failure {
            let what = if failure.kind() == FailureKind::Panic { "panicked" } else { "returned Err" };
            let first_line = failure.message().lines().next().unwrap_or_default().to_string();
            let (step, at) = (state.steps, failure.location().map(str::to_string));
            state.trace.push_ending(step, TaskId::BODY, what, at, first_line);
            let task = crate::detect::TaskRef::of(state.tasks.get(TaskId::BODY));
            state.fail(failure.in_task(task));
        }
        let ended = state.tasks.get(TaskId::BODY).state;
        state.change(TaskId::BODY, crate::trace::Transition::Ended(ended));
    });
    if execution::is_stopping() {
        return super::scheduling_point();
    }
    // Let the other tasks run until each has finished or blocked.
    WindDown.await;
    execution::with(|state| {
        for finding in detect::unhandled_panic::detect(state).into_iter().chain(detect::leak::detect(state)) {
            state.fail(finding);
        }
    });
    if execution::is_stopping() {
        super::scheduling_point();
    }
}

/// Resolves once every other task has finished or is blocked (the engine wakes it when
/// nothing else can run).
struct WindDown;

impl Future for WindDown {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let settled = execution::with(|state| {
            if state.settled {
                true
            } else {
                state.winding_down = Some(cx.waker().clone());
                false
            }
        });
        if settled.unwrap_or(true) { Poll::Ready(()) } else { Poll::Pending }
    }
}

/// How many timer firings the wind-down of an execution allows.
const WIND_DOWN_TIMER_FIRINGS: usize = 1000;

/// What running out of runnable tasks means, for every engine: the state's `idle_reason`
/// says why nothing else ran. Returns the wakers to wake; a deadlock is a finding that
/// stops the execution.
pub(crate) fn when_nothing_can_run(state: &mut ExecutionState) -> Option<Vec<Waker>> {
    let reason = state.idle_reason.take()?;
    if state.stopping {
        return None;
    }
    // Once the body has returned, a pending timer still counts as progress (a task that
    // sleeps before it finishes is no leak), for a while: a task that only a periodic
    // timer keeps alive, long after the body is gone, is a leak.
    if reason == IdleReason::AllBlocked && state.winding_down.is_some() {
        if state.timers.has_pending() && state.wind_down_firings < WIND_DOWN_TIMER_FIRINGS {
            state.wind_down_firings += 1;
        } else {
            state.settled = true;
            return state.winding_down.take().map(|body| vec![body]);
        }
    }
    if let Some((now, fired)) = state.timers.fire_next() {
        let at = crate::time::timers::display(now);
        state.trace.clock_moved(now);
        for (owner, _) in &fired {
            state.trace.push_note(state.steps, *owner, "timer fired", format!("t={at}"));
        }
        return Some(fired.into_iter().map(|(_, waker)| waker).collect());
    }
    if reason == IdleReason::LetTimePass {
        return None;
    }
    // A panic nobody saw is often why the others wait forever: it leads.
    for finding in detect::unhandled_panic::detect(state) {
        state.report(finding);
    }
    let finding = detect::deadlock::detect(state);
    state.fail(finding);
    None
}

//! What every engine shares: the body of a scenario, its life inside an execution, and
//! what running out of runnable tasks means.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::future::LocalBoxFuture;

use super::task_frame::{CatchPanic, Instrumented};
use crate::detect::{self, BodyFailure, Moment};
use crate::model::tasks::{TaskId, TaskState};
use crate::run::execution::{self, ExecutionState, IdleReason};
use crate::trace::Transition;

/// What the body of a scenario returns: `Err` carries the error's `Debug` form.
pub(crate) type Outcome = Result<(), String>;

/// Makes one fresh body future per execution.
pub(crate) type Body = Arc<dyn Fn() -> LocalBoxFuture<'static, Outcome> + Send + Sync>;

/// The body's life: run it, judge it, wind the other tasks down, judge what is left.
pub(crate) async fn supervise_body(body: LocalBoxFuture<'static, Outcome>) {
    let outcome = match CatchPanic::new(Instrumented::new(TaskId::BODY, body)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(BodyFailure::Err(error)),
        Err(panic) => Err(BodyFailure::Panicked { message: panic.message, location: panic.location }),
    };
    execution::with(|state| {
        let body = state.tasks.get_mut(TaskId::BODY);
        body.state = if outcome.is_err() { TaskState::Panicked } else { TaskState::Finished };
        body.waiting = None;
        if detect::judge(state, Moment::BodyEnded(&outcome)) > 0 {
            let failure = state.findings.last().expect("the body's finding");
            let what = if matches!(outcome, Err(BodyFailure::Panicked { .. })) { "panicked" } else { "returned Err" };
            let (at, message) = (failure.location().map(str::to_string), failure.message().to_string());
            state.trace.push_ending(state.scheduler.steps, TaskId::BODY, what, at, &message);
        }
        let ended = state.tasks.get(TaskId::BODY).state;
        state.change(TaskId::BODY, Transition::Ended(ended));
    });
    if execution::is_stopping() {
        return super::scheduling_point();
    }
    // Let the other tasks run until each has finished or blocked.
    WindDown.await;
    execution::with(|state| {
        detect::judge(state, Moment::Settled);
        // What the engine does from here (dropping what is left) is not the program's.
        state.tearing_down = true;
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
            // With every other task over already there is nothing to wait for (no round
            // trip through the idle task: two steps less per execution).
            if state.wind_down.settled || state.tasks.alive().next().is_none() {
                true
            } else {
                state.wind_down.body = Some(cx.waker().clone());
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
    let reason = state.scheduler.idle_reason.take()?;
    if state.stopping {
        return None;
    }
    // Once the body has returned, a pending timer still counts as progress (a task that
    // sleeps before it finishes is no leak), for a while: a task that only a periodic
    // timer keeps alive, long after the body is gone, is a leak.
    if reason == IdleReason::AllBlocked && state.wind_down.body.is_some() {
        if state.timers.has_pending() && state.wind_down.timer_firings < WIND_DOWN_TIMER_FIRINGS {
            state.wind_down.timer_firings += 1;
        } else {
            state.wind_down.settled = true;
            return state.wind_down.body.take().map(|body| vec![body]);
        }
    }
    if let Some((now, fired)) = state.timers.fire_next() {
        state.timers_fired(now, fired.iter().map(|(owner, _)| *owner));
        return Some(fired.into_iter().map(|(_, waker)| waker).collect());
    }
    if reason == IdleReason::LetTimePass {
        return None;
    }
    detect::judge(state, Moment::Stuck);
    None
}

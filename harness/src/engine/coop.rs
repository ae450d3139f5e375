//! tokio's cooperative budget: a task may complete 128 operations per poll; the next one
//! returns `Pending` (waking the task at once), so that a task whose operations are always
//! ready still lets the others run.
//!
//! Inside an execution each task's budget is in the registry, filled at each poll of the
//! task (`task_frame.rs`); a forced yield is a fairness hint, as `yield_now` is, and a note
//! in the trace. Outside, it is tokio's own budget.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Engine, current};
use crate::model::tasks::TaskId;
use crate::run::execution;

/// The operations a task completes per poll before it must yield, as tokio's.
pub(crate) const BUDGET: u8 = 128;

/// A unit of budget taken by an operation: given back when dropped, unless the operation
/// completed ([`made_progress`](Proceed::made_progress)).
pub(crate) enum Proceed {
    /// A task of an execution took a unit (`task`), or has no budget to keep.
    Explored {
        task: Cell<Option<TaskId>>,
    },
    Tokio(tokio::task::coop::RestoreOnPending),
}

impl Proceed {
    /// The operation completed: the unit stays spent.
    pub(crate) fn made_progress(&self) {
        match self {
            Proceed::Explored { task } => task.set(None),
            Proceed::Tokio(restore) => restore.made_progress(),
        }
    }
}

impl Drop for Proceed {
    fn drop(&mut self) {
        let Proceed::Explored { task } = self else { return };
        if let Some(task) = task.get() {
            execution::with(|state| {
                if let Some(budget) = &mut state.tasks.get_mut(task).budget {
                    *budget = budget.saturating_add(1);
                }
            });
        }
    }
}

/// Takes a unit of the running task's budget for an operation; `Pending` (the task woken
/// at once, and yielding) when the budget is spent.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Proceed> {
    if current() == Engine::Tokio {
        return tokio::task::coop::poll_proceed(cx).map(Proceed::Tokio);
    }
    let taken = execution::with(|state| {
        let task = state.current_task();
        match &mut state.tasks.get_mut(task).budget {
            None => Some(None),
            Some(0) => {
                state.note_event(task, "coop", || "budget spent: yields".into());
                None
            }
            Some(budget) => {
                *budget -= 1;
                Some(Some(task))
            }
        }
    });
    match taken {
        Some(Some(task)) => Poll::Ready(Proceed::Explored { task: Cell::new(task) }),
        Some(None) => {
            yield_now(cx);
            Poll::Pending
        }
        // The execution is gone (the engine tears its tasks down): nothing to count.
        None => Poll::Ready(Proceed::Explored { task: Cell::new(None) }),
    }
}

/// Whether the running task has budget left, taking none.
pub(crate) fn has_budget_remaining() -> bool {
    match current() {
        Engine::Tokio => tokio::task::coop::has_budget_remaining(),
        Engine::Shuttle | Engine::Loom => {
            execution::with(|state| state.tasks.get(state.current_task()).budget != Some(0)).unwrap_or(true)
        }
    }
}

/// `Pending` (the task woken at once, and yielding) when the running task's budget is
/// spent; takes none (`select!` checks it before polling its branches).
pub(crate) fn poll_budget_available(cx: &mut Context<'_>) -> Poll<()> {
    if has_budget_remaining() {
        return Poll::Ready(());
    }
    yield_now(cx);
    Poll::Pending
}

fn yield_now(cx: &mut Context<'_>) {
    cx.waker().wake_by_ref();
    super::request_yield();
}

/// Fills the task's budget, at the start of each of its polls.
pub(crate) fn refill(budget: &mut Option<u8>) {
    if budget.is_some() {
        *budget = Some(BUDGET);
    }
}

/// Runs `poll` with no budget limit for the running task of an execution (tokio's
/// `unconstrained`, whose own wrapper lifts tokio's limit outside a run).
pub(crate) fn unconstrained<R>(poll: impl FnOnce() -> R) -> R {
    let before = execution::with(|state| {
        let task = state.current_task();
        state.tasks.get_mut(task).budget.take()
    });
    let result = poll();
    if let Some(before) = before {
        execution::with(|state| {
            let task = state.current_task();
            state.tasks.get_mut(task).budget = before;
        });
    }
    result
}

/// Polls with the running task's budget lifted (tokio's `with_unconstrained`): for what may
/// not yield for the budget's sake (a timeout's timer when the future it bounds spent the
/// budget, `JoinSet::try_join_next`).
pub(crate) fn poll_unconstrained<R>(cx: &mut Context<'_>, poll: impl FnOnce(&mut Context<'_>) -> Poll<R>) -> Poll<R> {
    if current() == Engine::Tokio {
        let mut poll = Some(poll);
        let once = std::future::poll_fn(|cx| poll.take().expect("polled once")(cx));
        return std::pin::pin!(tokio::task::unconstrained(once)).poll(cx);
    }
    unconstrained(|| poll(cx))
}

/// A future that takes a unit of budget each time it completes (tokio's `cooperative`):
/// for facade operations written as `async` blocks.
pub(crate) fn cooperative<F: Future>(inner: F) -> Cooperative<F> {
    Cooperative { inner }
}

/// The future of [`cooperative`].
#[derive(Debug)]
pub(crate) struct Cooperative<F> {
    /// Structurally pinned.
    inner: F,
}

impl<F: Future> Future for Cooperative<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let proceed = std::task::ready!(poll_proceed(cx));
        // SAFETY: `inner` is structurally pinned: `Cooperative` never moves it and has no `Drop`.
        let poll = unsafe { self.map_unchecked_mut(|coop| &mut coop.inner) }.poll(cx);
        if poll.is_ready() {
            proceed.made_progress();
        }
        poll
    }
}

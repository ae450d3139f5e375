//! What every task's future runs in, the body's too: its panics caught (as tokio does,
//! so they reach its `JoinHandle`), and the registry told when the task runs.

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::panic_hook as panics;
use super::task_waker::{TaskWaker, WakerUse};
use crate::detect::{self, Moment};
use crate::model::tasks::{TaskId, Unwakeable};
use crate::run::execution;
use crate::trace::Transition;

/// A panic caught while polling a future.
pub(crate) struct Panicked {
    pub(crate) message: String,
    /// `file:line:column`, relative to the workspace, when the panic hook saw it.
    pub(crate) location: Option<String>,
    pub(crate) payload: Box<dyn Any + Send>,
}

pin_project! {
    /// Polls `F`, turning a panic into `Err(Panicked)`. `F` is held in place: no allocation
    /// of its own.
    pub(crate) struct CatchPanic<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> CatchPanic<F> {
    pub(crate) fn new(inner: F) -> Self {
        CatchPanic { inner }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => Poll::Ready(Err(caught(payload))),
        }
    }
}

impl<F> CatchPanic<F> {
    /// Drops the future where it is, turning a panic of its drop into `Err(Panicked)`: how
    /// tokio tells the outcome of a task cancelled unfinished.
    pub(crate) fn drop_in_place(mut future: Pin<&mut Option<Self>>) -> Result<(), Panicked> {
        panic::catch_unwind(AssertUnwindSafe(move || future.set(None))).map_err(caught)
    }
}

/// The panic whose unwinding was just caught.
fn caught(payload: Box<dyn Any + Send>) -> Panicked {
    match panics::take_caught() {
        Some(caught) => Panicked { message: caught.message, location: caught.location, payload },
        // Inside an execution every `panic!` goes through the hook. An unwinding it did not
        // see is either the engine tearing the task down, which must go on, or the code
        // re-raising a panic it caught (`resume_unwind` of a `JoinError::into_panic()`,
        // whatever its payload): a panic.
        None if super::unwinding_for_teardown() => panic::resume_unwind(payload),
        None => Panicked { message: panics::message_of(payload.as_ref()), location: None, payload },
    }
}

pin_project! {
    /// A task's future as the registry sees it: it learns the engine's id of the task on
    /// the first poll and forgets what the task waited on each time it runs again; it polls
    /// the future with a counted waker (`task_waker.rs`), and has each `Pending` judged.
    pub(crate) struct Instrumented<F> {
        task: Option<TaskId>,
        bound: bool,
        // Polled before: a poll now resumes the task from a `Pending`.
        polled: bool,
        // Declared before `inner`: it is dropped first, so the future's own drop of the
        // clones it kept is no lost wakeup.
        waker: Option<TaskWaker>,
        // The task's future.
        #[pin]
        inner: F,
    }
}

impl<F: Future> Instrumented<F> {
    /// The body of an execution, already bound by the engine.
    pub(crate) fn new(task: TaskId, inner: F) -> Self {
        Instrumented { task: Some(task), bound: true, polled: false, waker: None, inner }
    }

    pub(crate) fn new_spawned(task: Option<TaskId>, inner: F) -> Self {
        Instrumented { task, bound: false, polled: false, waker: None, inner }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(task) = *this.task else { return this.inner.poll(cx) };
        let bind = !*this.bound;
        *this.bound = true;
        let resumed = std::mem::replace(this.polled, true);
        let serial = execution::with(|state| {
            if bind {
                if let Some(key) = super::current_task_key() {
                    state.tasks.bind_engine_key(key, task);
                }
                state.first_run(task);
            }
            let now = state.timers.now();
            let record = state.tasks.get_mut(task);
            record.waiting = None;
            record.in_poll = true;
            super::coop::refill(&mut record.budget);
            record.unwakeable = None;
            record.resume(now);
            // Back from a preemption: no wait ended, and the operation it was preempted
            // before has had its scheduling decision.
            let preempted = std::mem::take(&mut record.preempted);
            record.past_point = preempted;
            if resumed && !preempted {
                state.change(task, Transition::Resumed);
            }
            state.serial
        });
        let mut made = this.waker.is_none();
        let counted = serial.map(|serial| {
            let waker = this.waker.get_or_insert_with(|| TaskWaker::new(task, serial, cx.waker()));
            if !waker.begin_poll(cx.waker()) {
                // The engine changed the task's waker: count anew, for the new one.
                *waker = TaskWaker::new(task, serial, cx.waker());
                made = true;
            }
            &*waker
        });
        if let Some(waker) = counted.filter(|_| made) {
            let own = waker.waker().data() as usize;
            execution::with(|state| state.tasks.get_mut(task).own_waker = own);
        }
        let poll = match counted {
            Some(waker) => this.inner.poll(&mut Context::from_waker(waker.waker())),
            None => this.inner.poll(cx),
        };
        let used = match &poll {
            Poll::Pending => this.waker.as_ref().map(TaskWaker::suspend),
            Poll::Ready(_) => None,
        };
        execution::with(|state| {
            let now = state.timers.now();
            let step = state.scheduler.steps;
            let forgotten = used.is_some_and(WakerUse::forgotten);
            let after = if forgotten { state.trace.last_index_of(task) } else { None };
            let record = state.tasks.get_mut(task);
            record.in_poll = false;
            record.past_point = false;
            // A preemption is no wait: the task woke itself, and runs again when chosen.
            if poll.is_pending() && !record.preempted {
                record.suspend(now);
                if forgotten {
                    record.unwakeable = Some(Unwakeable::KeptNoWaker { step, after });
                }
                // Pending without a wait: a yield, or a future that is not racewright's.
                if record.waiting.is_none() {
                    state.change(task, Transition::Suspended);
                }
                detect::judge(state, Moment::Pending { task });
            }
        });
        poll
    }
}

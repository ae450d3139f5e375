//! `JoinHandle` and `JoinError`, with tokio's semantics.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use super::Id;
use crate::engine::Panicked;
use crate::engine::{self, RawTask, StateLock};
use crate::model::tasks::TaskId;
use crate::run::execution;

/// How a task ended without its output: what a [`JoinError`] tells, before it knows the
/// task's id.
pub(crate) enum Ended {
    Cancelled,
    Panicked(Panicked),
}

/// Where a task's result waits for its `JoinHandle`.
pub(crate) struct JoinSlot<T> {
    inner: StateLock<SlotState<T>>,
    /// Whether the task has finished (its result may have been taken since): written under
    /// `inner`'s lock, read under it by the `JoinHandle` (a branch point on loom), and
    /// without it by the first `AbortHandle` as it is made.
    finished: AtomicBool,
    /// What the `AbortHandle`s read: made by the first of them (most tasks never have one).
    done: OnceLock<Arc<AtomicBool>>,
}

struct SlotState<T> {
    result: Option<Result<T, Ended>>,
    waker: Option<Waker>,
}

impl<T> JoinSlot<T> {
    pub(crate) fn new() -> Self {
        JoinSlot {
            inner: StateLock::new(SlotState { result: None, waker: None }),
            finished: AtomicBool::new(false),
            done: OnceLock::new(),
        }
    }

    /// Publishes the task's result and wakes whoever awaits it.
    pub(crate) fn complete(&self, result: Result<T, Ended>) {
        let waker = {
            let mut state = self.inner.lock();
            state.result = Some(result);
            self.finished.store(true, Ordering::Relaxed);
            state.waker.take()
        };
        // Either the first abort handle's flag exists by now, or it sees `finished` as it is
        // made (`done_flag`): the fences keep the two from missing each other.
        fence(Ordering::SeqCst);
        if let Some(done) = self.done.get() {
            done.store(true, Ordering::Release);
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn is_finished(&self) -> bool {
        let _state = self.inner.lock();
        self.finished.load(Ordering::Relaxed)
    }

    /// The flag an `AbortHandle` reads, set once the task has finished.
    fn done_flag(&self) -> Arc<AtomicBool> {
        let done = self.done.get_or_init(|| Arc::new(AtomicBool::new(false)));
        fence(Ordering::SeqCst);
        if self.finished.load(Ordering::Relaxed) {
            done.store(true, Ordering::Release);
        }
        done.clone()
    }
}

/// An owned permission to await a spawned task, as `tokio::task::JoinHandle`.
///
/// Awaiting it yields the task's output, or a [`JoinError`] if the task panicked or was
/// aborted. Dropping it detaches the task, which keeps running.
pub struct JoinHandle<T> {
    /// Dropped by hand, as the task (see `Drop`).
    slot: ManuallyDrop<Arc<JoinSlot<T>>>,
    raw: RawTask,
    task: Option<TaskId>,
    id: Id,
    spawned_at: &'static Location<'static>,
    awaited: bool,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(
        slot: Arc<JoinSlot<T>>,
        raw: RawTask,
        task: Option<TaskId>,
        spawned_at: &'static Location<'static>,
    ) -> Self {
        let id = match (task, &raw) {
            (Some(task), _) => Id::of(task).expect("a spawned task is never the body"),
            (None, RawTask::Local(local)) => Id::of_local(local.id),
            (None, raw) => Id::of_tokio(raw.tokio_id().expect("a task spawned outside a run is tokio's")),
        };
        JoinHandle { slot: ManuallyDrop::new(slot), raw, task, id, spawned_at, awaited: false }
    }

    /// The task's id, as tokio's.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Cancels the task at its next await; awaiting the handle then gives a cancelled
    /// `JoinError`, unless the task finished first.
    #[track_caller]
    pub fn abort(&self) {
        let at = Location::caller();
        engine::scheduling_point();
        if let Some(task) = self.task {
            execution::record_with("JoinHandle::abort", at, || format!("task {task}"));
        }
        self.raw.abort();
    }

    /// Aborts from a destructor: no trace event, and nothing once the execution is being
    /// torn down (the engine cancels every task then anyway).
    pub(crate) fn abort_quietly(&self) {
        if !execution::is_stopping() && !self.is_finished() {
            self.raw.abort();
        }
    }

    /// Whether the task has finished: returned, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.slot.is_finished()
    }

    /// A handle that can abort the task without owning it, as tokio's.
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle { raw: self.raw.abort_handle(), task: self.task, id: self.id, done: self.slot.done_flag() }
    }
}

/// Permission to abort a task without owning its [`JoinHandle`], as
/// `tokio::task::AbortHandle`. Dropping it does nothing.
#[derive(Clone)]
pub struct AbortHandle {
    raw: engine::RawAbort,
    task: Option<TaskId>,
    id: Id,
    done: Arc<AtomicBool>,
}

impl AbortHandle {
    /// Cancels the task at its next await, as [`JoinHandle::abort`].
    #[track_caller]
    pub fn abort(&self) {
        let at = Location::caller();
        engine::scheduling_point();
        if let Some(task) = self.task {
            execution::record_with("AbortHandle::abort", at, || format!("task {task}"));
        }
        self.raw.abort();
    }

    /// Whether the task has finished: returned, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// The task's id, as tokio's.
    pub fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("task", &self.task).finish_non_exhaustive()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if !self.awaited {
            std::task::ready!(engine::await_point(cx));
            self.awaited = true;
        }
        let proceed = std::task::ready!(engine::poll_proceed(cx));
        // A waker this poll replaces is dropped once the lock is let go: its drop may run the
        // task (block on its runtime), which completes into the slot.
        let mut replaced = None;
        let ready = {
            let mut state = self.slot.inner.lock();
            match state.result.take() {
                Some(result) => Some(result),
                // tokio's message: the result was handed out already.
                None if self.slot.finished.load(Ordering::Relaxed) => panic!("JoinHandle polled after completion"),
                None => {
                    replaced = state.waker.replace(cx.waker().clone());
                    None
                }
            }
        };
        drop(replaced);
        match ready {
            Some(result) => {
                let id = self.id;
                let result = result.map_err(|ended| JoinError::new(id, ended));
                if let Some(task) = self.task {
                    let outcome = match &result {
                        Ok(_) => "finished",
                        Err(error) if error.is_panic() => "panicked",
                        Err(_) => "cancelled",
                    };
                    execution::record_with("JoinHandle::await", self.spawned_at, || format!("task {task} {outcome}"));
                    execution::with(|state| state.tasks.get_mut(task).panic_observed = true);
                }
                proceed.made_progress();
                Poll::Ready(result)
            }
            None => {
                if let Some(task) = self.task {
                    crate::engine::wait_for_task("JoinHandle::await", self.spawned_at, task);
                }
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task {
            execution::with(|state| state.tasks.get_mut(task).detached = true);
        }
        // SAFETY: the slot is taken once, here, and `self` is not used after.
        let slot = unsafe { ManuallyDrop::take(&mut self.slot) };
        // The task's output, if it finished and nobody took it, is dropped with the slot: as
        // tokio's, as the task, whose id `task::id()` gives meanwhile.
        super::id::as_task(self.id, move || drop(slot));
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("task", &self.task).finish_non_exhaustive()
    }
}

/// A task did not run to completion: it panicked or was cancelled, as `tokio::task::JoinError`.
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic { message: String, payload: Mutex<Option<Box<dyn Any + Send>>> },
}

impl JoinError {
    fn new(id: Id, ended: Ended) -> Self {
        let repr = match ended {
            Ended::Cancelled => Repr::Cancelled,
            Ended::Panicked(panicked) => {
                Repr::Panic { message: panicked.message, payload: Mutex::new(Some(panicked.payload)) }
            }
        };
        JoinError { id, repr }
    }

    /// Whether the task was aborted or dropped before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic { .. })
    }

    /// The panic's payload, to resume it with `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the task did not panic, as tokio's.
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().expect("`JoinError` reason is not a panic.")
    }

    /// The panic's payload, or the error itself if the task did not panic.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic { payload, .. } => Ok(payload
                .into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .unwrap_or_else(|| Box::new(()))),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that did not finish.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The panic's message, if the task panicked (racewright's addition).
    pub fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic { message, .. } => Some(message),
            Repr::Cancelled => None,
        }
    }

    /// The panic's message when its payload is one (`panic!` with a message), as tokio
    /// shows it.
    fn message_payload(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic { message, payload } => {
                let payload = payload.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let is_message = payload.as_ref().is_some_and(|p| p.is::<String>() || p.is::<&'static str>());
                is_message.then_some(message.as_str())
            }
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.message_payload()) {
            (Repr::Cancelled, _) => write!(f, "task {} was cancelled", self.id),
            (Repr::Panic { .. }, Some(message)) => write!(f, "task {} panicked with message {message:?}", self.id),
            (Repr::Panic { .. }, None) => write!(f, "task {} panicked", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.message_payload()) {
            (Repr::Cancelled, _) => write!(f, "JoinError::Cancelled({:?})", self.id),
            (Repr::Panic { .. }, Some(message)) => write!(f, "JoinError::Panic({:?}, {message:?}, ...)", self.id),
            (Repr::Panic { .. }, None) => write!(f, "JoinError::Panic({:?}, ...)", self.id),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(error: JoinError) -> Self {
        std::io::Error::other(if error.is_cancelled() { "task was cancelled" } else { "task panicked" })
    }
}

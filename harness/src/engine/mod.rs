//! The one seam between the facade and the engines.
//!
//! Every facade primitive is written once, against the handful of operations below.
//! This module alone decides which engine serves them: inside an exploration the
//! deterministic scheduler (shuttle), outside of one a real tokio runtime. Nothing
//! else in the crate names an engine.

pub(crate) mod shuttle;
pub(crate) mod tokio;

use std::future::Future;
use std::pin::Pin;

use crate::explore::execution;

/// A task's future once the facade has wrapped it (panics caught, result published).
pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Which engine serves the calling code right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    /// Outside an exploration: tokio and std.
    Tokio,
    /// Inside an execution explored by shuttle.
    Shuttle,
}

/// The engine of the calling code.
#[inline]
pub(crate) fn current() -> Engine {
    if execution::is_active() { Engine::Shuttle } else { Engine::Tokio }
}

/// A point where the scheduler may switch to another task.
#[inline]
pub(crate) fn scheduling_point() {
    match current() {
        Engine::Shuttle => shuttle::scheduling_point(),
        Engine::Tokio => {}
    }
}

/// Runs `future` as a new task of the current engine.
pub(crate) fn spawn(future: TaskFuture) -> RawTask {
    match current() {
        Engine::Shuttle => RawTask::Shuttle(shuttle::spawn(future)),
        Engine::Tokio => RawTask::Tokio(tokio::spawn(future)),
    }
}

/// The engine's own id of the running task, when the engine has one.
pub(crate) fn current_task_key() -> Option<usize> {
    match current() {
        Engine::Shuttle => shuttle::current_task_key(),
        Engine::Tokio => None,
    }
}

/// The engine's handle on a spawned task: dropping it detaches the task.
pub(crate) enum RawTask {
    Shuttle(::shuttle::future::JoinHandle<()>),
    Tokio(::tokio::task::JoinHandle<()>),
}

impl RawTask {
    /// Cancels the task at its next await.
    pub(crate) fn abort(&self) {
        match self {
            RawTask::Shuttle(handle) => handle.abort(),
            RawTask::Tokio(handle) => handle.abort(),
        }
    }
}

/// Blocks the calling task (not just its future) until another task unparks it.
///
/// The blocking primitives (`sync::blocking`) are built on this alone.
#[derive(Clone)]
pub(crate) enum Unparker {
    Shuttle(::shuttle::thread::Thread),
    Std(std::thread::Thread),
}

impl Unparker {
    /// The handle that wakes the calling task from [`park`].
    pub(crate) fn for_current() -> Self {
        match current() {
            Engine::Shuttle => Unparker::Shuttle(::shuttle::thread::current()),
            Engine::Tokio => Unparker::Std(std::thread::current()),
        }
    }

    /// Wakes the task, or lets its next [`park`] return at once.
    pub(crate) fn unpark(&self) {
        match self {
            Unparker::Shuttle(thread) => thread.unpark(),
            Unparker::Std(thread) => thread.unpark(),
        }
    }
}

/// Parks the calling task; it may return spuriously, callers re-check their condition.
pub(crate) fn park() {
    match current() {
        Engine::Shuttle => ::shuttle::thread::park(),
        Engine::Tokio => std::thread::park(),
    }
}

/// Tells the scheduler that the running task yields on purpose: strategies use it as a
/// fairness hint, so a task spinning on `yield_now` does not starve the others.
pub(crate) fn request_yield() {
    if current() == Engine::Shuttle {
        shuttle_engine::runtime::execution::ExecutionState::request_yield();
    }
}

//! Outside an exploration the facade runs on tokio, as the code under test would in
//! production.

use super::{LocalTaskFuture, TaskFuture};

/// tokio's runtime types, which `racewright::runtime` wraps outside a run (the last two
/// it shows as they are).
pub(crate) use tokio::runtime::{Builder as RuntimeBuilder, EnterGuard, Handle as RuntimeHandle, Runtime};
pub use tokio::runtime::{RuntimeFlavor, TryCurrentError};

/// Spawns on the ambient tokio runtime, with tokio's own error when there is none.
#[track_caller]
pub(crate) fn spawn(future: TaskFuture) -> tokio::task::JoinHandle<()> {
    tokio::spawn(future)
}

thread_local! {
    /// Set on a thread of tokio's blocking pool while it runs racewright's blocking task.
    static IN_BLOCKING_TASK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `future` (blocking work done in its first poll) on the blocking pool of the runtime
/// of `handle`, or of the ambient one.
#[track_caller]
pub(crate) fn spawn_blocking(future: TaskFuture, handle: Option<&RuntimeHandle>) -> tokio::task::JoinHandle<()> {
    let work = move || {
        IN_BLOCKING_TASK.with(|flag| flag.set(true));
        futures::executor::block_on(future);
        IN_BLOCKING_TASK.with(|flag| flag.set(false));
    };
    match handle {
        Some(handle) => handle.spawn_blocking(work),
        None => tokio::task::spawn_blocking(work),
    }
}

/// tokio's `LocalSet`, which `task::LocalSet` is outside a run.
pub(crate) use tokio::task::{LocalEnterGuard, LocalSet};

/// Spawns a local task on the `LocalSet` the caller runs in, with tokio's panic outside one.
#[track_caller]
pub(crate) fn spawn_local(future: LocalTaskFuture) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_local(future)
}

/// Spawns on the runtime of `handle`.
#[track_caller]
pub(crate) fn spawn_on(future: TaskFuture, handle: &RuntimeHandle) -> tokio::task::JoinHandle<()> {
    handle.spawn(future)
}

/// Whether the calling thread drives tokio's tasks: it is in a runtime's context, and not
/// running one of racewright's blocking tasks. (tokio tells its blocking pool's threads
/// apart privately; racewright knows its own.)
pub(crate) fn in_async_context() -> bool {
    tokio::runtime::Handle::try_current().is_ok() && !IN_BLOCKING_TASK.with(std::cell::Cell::get)
}

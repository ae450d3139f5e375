//! `task::Builder`: spawn a task with a name, which reports then use.

use std::future::Future;
use std::io;
use std::panic::Location;

use super::JoinHandle;

/// Configures a task before spawning it, as `tokio::task::Builder`.
///
/// ```
/// # racewright::check(|| async {
/// let worker = racewright::task::Builder::new().name("worker").spawn(async { 1 })?;
/// assert_eq!(worker.await.unwrap(), 1);
/// # std::io::Result::Ok(())
/// # });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    pub(crate) name: Option<String>,
}

impl Builder {
    /// A builder with no name set.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Names the task; reports show it beside the task's id.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// Spawns the task, as [`spawn`](super::spawn). Never fails: tokio's fails only when
    /// its runtime is shutting down; the `Result` is tokio's signature.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(super::spawn_named(future, self.name, Location::caller()))
    }

    /// Spawns a local task on the `LocalSet` the caller runs in, as
    /// [`spawn_local`](super::spawn_local) (local tasks are not named in reports).
    ///
    /// # Panics
    /// Outside a `LocalSet`, as tokio's.
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Ok(super::spawn_local(future))
    }

    /// Spawns a local task on `local`, as [`LocalSet::spawn_local`](super::LocalSet::spawn_local).
    #[track_caller]
    pub fn spawn_local_on<F>(self, future: F, local: &super::LocalSet) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Ok(local.spawn_local(future))
    }

    /// Runs blocking code as a task, as [`spawn_blocking`](super::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> io::Result<JoinHandle<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Ok(super::spawn_as(async move { f() }, self.name, super::Kind::Blocking, None, Location::caller()))
    }
}

//! `JoinSet`: tasks spawned together and awaited as they finish, as `tokio::task::JoinSet`.

use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{AbortHandle, Id, JoinError, JoinHandle};
use crate::engine::{self, Resource};

/// A set of spawned tasks, awaited in the order they finish. Dropping the set aborts
/// every task still in it, as tokio's does.
///
/// ```
/// # racewright::check(|| async {
/// let mut set = racewright::task::JoinSet::new();
/// for n in 1..=3 {
///     set.spawn(async move { n * 10 });
/// }
/// let mut total = 0;
/// while let Some(result) = set.join_next().await {
///     total += result.unwrap();
/// }
/// assert_eq!(total, 60);
/// # });
/// ```
pub struct JoinSet<T> {
    handles: Vec<JoinHandle<T>>,
    /// The set as a queue, for the `unbounded_growth` detector and the metrics.
    resource: Resource,
}

impl<T> JoinSet<T> {
    /// An empty set.
    #[track_caller]
    pub fn new() -> Self {
        JoinSet { handles: Vec::new(), resource: Resource::new("JoinSet", Location::caller()) }
    }

    /// The set changed: it now holds `len` tasks.
    fn shrank(&self) {
        engine::dequeued(self.resource, self.handles.len());
    }

    /// Tasks in the set: running, or finished and not yet joined.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Spawns a task into the set, as [`spawn`](super::spawn); the handle aborts it.
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(super::spawn_named(task, None, Location::caller()))
    }

    /// Takes a spawned task into the set; returns its abort handle.
    #[track_caller]
    pub(crate) fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let at = Location::caller();
        let abort = handle.abort_handle();
        self.handles.push(handle);
        engine::queued(self.resource, true, self.handles.len(), at);
        abort
    }

    /// Spawns a local task into the set, on the `LocalSet` the caller runs in, as
    /// [`spawn_local`](super::spawn_local).
    ///
    /// # Panics
    /// Outside a `LocalSet`, as tokio's.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(super::spawn_local(task))
    }

    /// Spawns a local task into the set, on `local`, as tokio's.
    #[track_caller]
    pub fn spawn_local_on<F>(&mut self, task: F, local: &super::LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(local.spawn_local(task))
    }

    /// Runs blocking code as a task of the set, as [`spawn_blocking`](super::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(super::spawn_as(async move { f() }, None, super::Kind::Blocking, None, Location::caller()))
    }

    /// Waits for the next task to finish and removes it from the set; `None` once the set
    /// is empty. Cancel safe: dropping the future loses no task.
    pub fn join_next(&mut self) -> impl Future<Output = Option<Result<T, JoinError>>> + '_ {
        poll_fn(move |cx| self.poll_join_next(cx))
    }

    /// Like [`join_next`](JoinSet::join_next), with the id of the task that finished.
    pub fn join_next_with_id(&mut self) -> impl Future<Output = Option<Result<(Id, T), JoinError>>> + '_ {
        poll_fn(move |cx| self.poll_join_next_with_id(cx))
    }

    /// Removes a task that has finished, without waiting; `None` if none has.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id().map(|result| result.map(|(_, output)| output))
    }

    /// Like [`try_join_next`](JoinSet::try_join_next), with the id of the task that finished.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        let finished = self.handles.iter().position(JoinHandle::is_finished)?;
        let mut handle = self.handles.swap_remove(finished);
        let waker = futures::task::noop_waker();
        // As tokio: not async, it cannot yield, so the task's budget is not asked.
        let joined =
            engine::coop::poll_unconstrained(&mut Context::from_waker(&waker), |cx| Pin::new(&mut handle).poll(cx));
        match joined {
            Poll::Ready(result) => {
                self.shrank();
                Some(result.map(|output| (handle.id(), output)))
            }
            Poll::Pending => {
                self.handles.push(handle);
                None
            }
        }
    }

    /// Polls for the next task to finish, as [`join_next`](JoinSet::join_next).
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx).map(|next| next.map(|result| result.map(|(_, output)| output)))
    }

    /// Polls for the next task to finish, as [`join_next_with_id`](JoinSet::join_next_with_id).
    pub fn poll_join_next_with_id(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.handles.is_empty() {
            return Poll::Ready(None);
        }
        for index in 0..self.handles.len() {
            if let Poll::Ready(result) = Pin::new(&mut self.handles[index]).poll(cx) {
                let handle = self.handles.swap_remove(index);
                self.shrank();
                return Poll::Ready(Some(result.map(|output| (handle.id(), output))));
            }
        }
        Poll::Pending
    }

    /// Aborts every task of the set; they stay in it until joined (as cancelled).
    #[track_caller]
    pub fn abort_all(&mut self) {
        for handle in &self.handles {
            handle.abort();
        }
    }

    /// Aborts every task and waits until all of them have stopped.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Removes every task from the set without aborting it: they go on, detached.
    pub fn detach_all(&mut self) {
        self.handles.clear();
        self.shrank();
    }

    /// Waits for every task and returns their outputs in the order they finished.
    ///
    /// # Panics
    /// If a task panicked (its panic resumes here) or was cancelled, as tokio's.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => panic!("{error}"),
            }
        }
        outputs
    }
}

impl<T> Default for JoinSet<T> {
    #[track_caller]
    fn default() -> Self {
        JoinSet::new()
    }
}

/// Spawns each future into a new set, as tokio's.
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(futures: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(futures);
        set
    }
}

/// Spawns each future into the set, as tokio's.
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, futures: I) {
        let at = Location::caller();
        for future in futures {
            self.handles.push(super::spawn_named(future, None, at));
        }
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for handle in &self.handles {
            handle.abort_quietly();
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

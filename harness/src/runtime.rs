//! `runtime`: tokio's `Runtime`, `Handle` and `Builder`, for code that starts or reaches a
//! runtime itself.
//!
//! Outside a run they are tokio's. Inside a run the execution is the runtime: a [`Handle`]
//! spawns explored tasks, and [`Runtime::block_on`] runs its future to the end on the
//! calling task, which must be a blocking one (`spawn_blocking`), as tokio's panics
//! anywhere else in a runtime.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::time::Duration;

use crate::engine::{self, tokio as outside};
use crate::task::{self, AbortHandle, JoinHandle, JoinSet, LocalSet};

pub use crate::engine::tokio::{RuntimeFlavor, TryCurrentError};

/// A runtime, as `tokio::runtime::Runtime`.
///
/// ```
/// let runtime = racewright::runtime::Runtime::new().unwrap();
/// let answer = runtime.block_on(async { racewright::spawn(async { 42 }).await.unwrap() });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    handle: Handle,
    /// tokio's runtime, outside a run; `None` for the execution's.
    tokio: Option<outside::Runtime>,
}

impl Runtime {
    /// A multi-threaded runtime with its I/O and time drivers, as tokio's `Runtime::new`
    /// (inside a run: the execution).
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().enable_all().build()
    }

    /// Runs `future` to its end on the calling thread, as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.tokio {
            Some(runtime) => runtime.block_on(future),
            None => block_on_execution(future),
        }
    }

    /// Spawns a task on this runtime, as tokio's.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs blocking code on this runtime's blocking pool, as tokio's.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Enters the runtime's context: `Handle::current()` and `spawn` find it while the
    /// guard lives, as tokio's.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts the runtime down, waiting at most `timeout` for its blocking tasks, as tokio's.
    pub fn shutdown_timeout(self, timeout: Duration) {
        if let Some(runtime) = self.tokio {
            runtime.shutdown_timeout(timeout);
        }
    }

    /// Shuts the runtime down without waiting, as tokio's.
    pub fn shutdown_background(self) {
        if let Some(runtime) = self.tokio {
            runtime.shutdown_background();
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("handle", &self.handle).finish_non_exhaustive()
    }
}

/// Runs `future` to its end on the calling task of an execution, where `block_on` may block.
#[track_caller]
fn block_on_execution<F: Future>(future: F) -> F::Output {
    assert!(
        !engine::in_async_context(),
        "Cannot start a runtime from within a runtime. This happens because a function (like `block_on`) \
         attempted to block the current thread while the thread is being used to drive asynchronous tasks."
    );
    engine::block_on(future)
}

/// A handle on a runtime, as `tokio::runtime::Handle`: spawns on it from anywhere.
#[derive(Clone)]
pub struct Handle {
    /// tokio's handle, outside a run; `None` for the execution's.
    tokio: Option<outside::RuntimeHandle>,
}

impl Handle {
    /// The handle of the runtime the caller runs in (inside a run, the execution).
    ///
    /// # Panics
    /// Outside a run and outside a tokio runtime, as tokio's.
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(error) => panic!("{error}"),
        }
    }

    /// The handle of the runtime the caller runs in, or tokio's error outside of one.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        if engine::in_execution() {
            return Ok(Handle { tokio: None });
        }
        outside::RuntimeHandle::try_current().map(|handle| Handle { tokio: Some(handle) })
    }

    /// Spawns a task on the runtime, as tokio's.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        task::spawn_as(future, None, task::Kind::Async, self.tokio.as_ref(), Location::caller())
    }

    /// Runs blocking code on the runtime's blocking pool, as tokio's.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        task::spawn_as(async move { f() }, None, task::Kind::Blocking, self.tokio.as_ref(), Location::caller())
    }

    /// Runs `future` to its end on the calling thread, in the runtime's context, as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.tokio {
            Some(handle) => handle.block_on(future),
            None => block_on_execution(future),
        }
    }

    /// Enters the runtime's context while the guard lives, as tokio's.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard { _tokio: self.tokio.as_ref().map(outside::RuntimeHandle::enter) }
    }

    /// The kind of runtime: tokio's, or, inside a run, `MultiThread` (tasks interleave at
    /// every scheduling point, as on tokio's multi-threaded runtime).
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        match &self.tokio {
            Some(handle) => handle.runtime_flavor(),
            None => RuntimeFlavor::MultiThread,
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tokio {
            Some(handle) => f.debug_tuple("Handle").field(handle).finish(),
            None => f.write_str("Handle(execution)"),
        }
    }
}

/// A runtime's handle, as the `spawn_on` methods take it: racewright's [`Handle`], or
/// tokio's own `tokio::runtime::Handle` (which the tokio switch leaves tokio's, so code
/// written for tokio passes that one).
pub trait AsHandle: sealed::Sealed {
    /// tokio's handle, outside a run; `None` for the execution's.
    #[doc(hidden)]
    fn tokio_handle(&self) -> Option<&outside::RuntimeHandle>;
}

impl AsHandle for Handle {
    fn tokio_handle(&self) -> Option<&outside::RuntimeHandle> {
        self.tokio.as_ref()
    }
}

impl AsHandle for outside::RuntimeHandle {
    fn tokio_handle(&self) -> Option<&outside::RuntimeHandle> {
        Some(self)
    }
}

/// A runtime, as `LocalSet::block_on` takes it: racewright's [`Runtime`], or tokio's own
/// `tokio::runtime::Runtime` (which the tokio switch leaves tokio's).
pub trait AsRuntime: sealed::Sealed {
    /// Runs `future` to its end on the runtime.
    #[doc(hidden)]
    #[track_caller]
    fn run<F: Future>(&self, future: F) -> F::Output;
}

impl AsRuntime for Runtime {
    fn run<F: Future>(&self, future: F) -> F::Output {
        self.block_on(future)
    }
}

impl AsRuntime for outside::Runtime {
    fn run<F: Future>(&self, future: F) -> F::Output {
        self.block_on(future)
    }
}

mod sealed {
    /// Only racewright's and tokio's runtimes and handles.
    pub trait Sealed {}

    impl Sealed for super::Handle {}
    impl Sealed for super::outside::RuntimeHandle {}
    impl Sealed for super::Runtime {}
    impl Sealed for super::outside::Runtime {}
}

impl<T> JoinSet<T> {
    /// Spawns a task into the set on the runtime of `handle` (racewright's or tokio's), as
    /// tokio's.
    #[track_caller]
    pub fn spawn_on<F, H>(&mut self, future: F, handle: &H) -> AbortHandle
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
        H: AsHandle + ?Sized,
    {
        let on = handle.tokio_handle();
        self.insert(task::spawn_as(future, None, task::Kind::Async, on, Location::caller()))
    }

    /// Runs blocking code as a task of the set on the runtime of `handle` (racewright's or
    /// tokio's), as tokio's.
    #[track_caller]
    pub fn spawn_blocking_on<F, H>(&mut self, f: F, handle: &H) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
        H: AsHandle + ?Sized,
    {
        let on = handle.tokio_handle();
        self.insert(task::spawn_as(async move { f() }, None, task::Kind::Blocking, on, Location::caller()))
    }
}

impl task::Builder {
    /// Spawns the task on the runtime of `handle` (racewright's or tokio's), as tokio's.
    #[track_caller]
    pub fn spawn_on<F, H>(self, future: F, handle: &H) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        H: AsHandle + ?Sized,
    {
        Ok(task::spawn_as(future, self.name, task::Kind::Async, handle.tokio_handle(), Location::caller()))
    }

    /// Runs blocking code as a task of the runtime of `handle` (racewright's or tokio's),
    /// as tokio's.
    #[track_caller]
    pub fn spawn_blocking_on<F, R, H>(self, f: F, handle: &H) -> io::Result<JoinHandle<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
        H: AsHandle + ?Sized,
    {
        let future = async move { f() };
        Ok(task::spawn_as(future, self.name, task::Kind::Blocking, handle.tokio_handle(), Location::caller()))
    }
}

impl LocalSet {
    /// Runs `future` to its end on `runtime` (racewright's or tokio's), the set's tasks
    /// along with it, as tokio's.
    ///
    /// # Panics
    /// In an async context, as [`Runtime::block_on`].
    #[track_caller]
    pub fn block_on<F: Future, R: AsRuntime + ?Sized>(&self, runtime: &R, future: F) -> F::Output {
        runtime.run(self.run_until(future))
    }
}

/// The runtime's context, entered until dropped: from [`Handle::enter`].
#[must_use = "the runtime's context is left as soon as the guard is dropped"]
pub struct EnterGuard<'a> {
    _tokio: Option<outside::EnterGuard<'a>>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// Builds a runtime, as `tokio::runtime::Builder`. Inside a run the settings are kept for
/// nothing: the execution is the runtime.
pub struct Builder {
    tokio: outside::RuntimeBuilder,
}

impl Builder {
    /// A builder of a current-thread runtime, as tokio's.
    pub fn new_current_thread() -> Builder {
        Builder { tokio: outside::RuntimeBuilder::new_current_thread() }
    }

    /// A builder of a multi-threaded runtime, as tokio's.
    pub fn new_multi_thread() -> Builder {
        Builder { tokio: outside::RuntimeBuilder::new_multi_thread() }
    }

    /// Enables every driver racewright's tokio has (time), as tokio's `enable_all`.
    pub fn enable_all(&mut self) -> &mut Self {
        self.tokio.enable_all();
        self
    }

    /// Enables the time driver, as tokio's.
    pub fn enable_time(&mut self) -> &mut Self {
        self.tokio.enable_time();
        self
    }

    /// Starts the runtime's clock paused, as tokio's (inside a run the clock always is).
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.tokio.start_paused(start_paused);
        self
    }

    /// Worker threads of a multi-threaded runtime, as tokio's.
    #[track_caller]
    pub fn worker_threads(&mut self, threads: usize) -> &mut Self {
        self.tokio.worker_threads(threads);
        self
    }

    /// Most threads of the blocking pool, as tokio's.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, threads: usize) -> &mut Self {
        self.tokio.max_blocking_threads(threads);
        self
    }

    /// The name of the runtime's threads, as tokio's.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.tokio.thread_name(name);
        self
    }

    /// Builds the runtime (inside a run: the execution), as tokio's.
    pub fn build(&mut self) -> io::Result<Runtime> {
        if engine::in_execution() {
            return Ok(Runtime { handle: Handle { tokio: None }, tokio: None });
        }
        let runtime = self.tokio.build()?;
        Ok(Runtime { handle: Handle { tokio: Some(runtime.handle().clone()) }, tokio: Some(runtime) })
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Builder, Handle, Runtime};
    use crate::sync::Mutex;

    #[test]
    fn outside_a_run_a_runtime_runs_tasks_and_blocks_on_futures() {
        let runtime = Runtime::new().unwrap();
        let counter = Arc::new(Mutex::new(0));
        let total = runtime.block_on({
            let counter = counter.clone();
            async move {
                let handle = Handle::current();
                let task = handle.spawn({
                    let counter = counter.clone();
                    async move { *counter.lock().await += 1 }
                });
                task.await.unwrap();
                let blocking = Handle::current().spawn_blocking(|| 2).await.unwrap();
                *counter.lock().await + blocking
            }
        });
        assert_eq!(total, 3);
        assert!(Handle::try_current().is_err());
        let _entered = runtime.enter();
        assert!(Handle::try_current().is_ok());
        let current = Builder::new_current_thread().enable_all().build().unwrap();
        assert_eq!(current.handle().runtime_flavor(), super::RuntimeFlavor::CurrentThread);
        assert_eq!(current.block_on(runtime.spawn(async { 5 })).unwrap(), 5);
        let named = crate::task::Builder::new().name("named").spawn_on(async { 4 }, runtime.handle()).unwrap();
        assert_eq!(current.block_on(named).unwrap(), 4);
        let named = crate::task::Builder::new().spawn_blocking_on(|| 6, runtime.handle()).unwrap();
        assert_eq!(current.block_on(named).unwrap(), 6);
        let mut set = crate::task::JoinSet::new();
        set.spawn_on(async { 1 }, runtime.handle());
        set.spawn_blocking_on(|| 2, runtime.handle());
        let outputs = current.block_on(set.join_all());
        assert_eq!(outputs.iter().sum::<i32>(), 3);
    }

    // Through the tokio switch `tokio::runtime` is tokio's: code written for tokio passes
    // tokio's runtime and handle to racewright's `spawn_on` and `LocalSet::block_on`.
    #[test]
    fn tokios_own_runtime_and_handle_are_taken_too() {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let mut set = crate::task::JoinSet::new();
        set.spawn_on(async { 1 }, runtime.handle());
        set.spawn_blocking_on(|| 2, runtime.handle());
        let named = crate::task::Builder::new().name("named").spawn_on(async { 3 }, runtime.handle()).unwrap();
        let blocking = crate::task::Builder::new().spawn_blocking_on(|| 4, runtime.handle()).unwrap();
        let local = crate::task::LocalSet::new();
        let total = local.block_on(&runtime, async move {
            let local = crate::task::spawn_local(async { 5 }).await.unwrap();
            set.join_all().await.iter().sum::<i32>() + named.await.unwrap() + blocking.await.unwrap() + local
        });
        assert_eq!(total, 15);
    }

    #[test]
    fn inside_a_run_the_execution_is_the_runtime() {
        crate::check(|| async {
            let handle = Handle::current();
            let task = handle.spawn(async { crate::task::id() });
            let id = task.id();
            assert_eq!(task.await.unwrap(), id, "an explored task");
            let runtime = Runtime::new().unwrap();
            let blocking = crate::task::spawn_blocking(move || runtime.block_on(async { 7 }));
            assert_eq!(blocking.await.unwrap(), 7);
        });
    }

    #[test]
    fn block_on_in_an_async_task_panics_as_tokio() {
        let report = crate::Scenario::new("runtime::block_on_in_async").iterations(3).run(|| async {
            Runtime::new().unwrap().block_on(async {});
        });
        let failure = report.failure().expect("a panic");
        assert!(failure.message().contains("Cannot start a runtime from within a runtime"), "{report}");
    }
}

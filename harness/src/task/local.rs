//! `LocalSet` and `spawn_local`: tasks that stay on their thread, as tokio's.
//!
//! Outside a run they are tokio's. Inside a run a `LocalSet` is what tokio's is on one
//! thread: an executor of its own, driven by the task that awaits it (`run_until`, or the
//! set itself), which polls its local tasks in turn. Their operations are explored as that
//! task's: reports show them in its column, and they are numbered apart from the report's
//! tasks (their ids start at 2^32).

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::JoinHandle;
use crate::engine::{self, LocalAbort, LocalTaskFuture, RawTask, TaskId};

/// The future a `LocalSet` runs its tasks along with (`run_until`), as a poll function.
type Main<'a, R> = &'a mut dyn FnMut(&mut Context<'_>) -> Poll<R>;

/// How many local tasks a `LocalSet` polls before it yields to the other tasks, as tokio's.
const TASKS_PER_TICK: usize = 61;

/// A set of tasks that run on the current thread, as `tokio::task::LocalSet`: their futures
/// need not be `Send`.
///
/// ```
/// # racewright::check(|| async {
/// use std::rc::Rc;
///
/// let local = racewright::task::LocalSet::new();
/// let shared = Rc::new(41);
/// let answer = local
///     .run_until(async move {
///         let shared = shared.clone();
///         racewright::task::spawn_local(async move { *shared + 1 }).await.unwrap()
///     })
///     .await;
/// assert_eq!(answer, 42);
/// # });
/// ```
pub struct LocalSet {
    repr: Repr,
    /// Like tokio's, it stays on its thread.
    _not_send: PhantomData<*const ()>,
}

enum Repr {
    Tokio(engine::tokio::LocalSet),
    Explored(Rc<Local>),
}

/// The local tasks of a `LocalSet` inside a run.
struct Local {
    /// The tasks not yet finished, by id; one being polled is out of the map meanwhile.
    tasks: RefCell<BTreeMap<u64, (LocalTaskFuture, Arc<LocalAbort>)>>,
    ready: Arc<Ready>,
}

/// The tasks woken since they were last polled, and the task that drives the set.
#[derive(Default)]
struct Ready {
    queue: Mutex<VecDeque<u64>>,
    driver: Mutex<Option<Waker>>,
}

impl Ready {
    fn push(&self, id: u64) {
        lock(&self.queue).push_back(id);
        if let Some(driver) = lock(&self.driver).as_ref() {
            driver.wake_by_ref();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Wakes one local task: puts it in its set's ready queue.
struct TaskWaker {
    id: u64,
    ready: Arc<Ready>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.ready.push(self.id);
    }
}

thread_local! {
    /// The `LocalSet` each task of a run is driving right now, by task.
    static DRIVING: RefCell<BTreeMap<(u64, TaskId), Rc<Local>>> = const { RefCell::new(BTreeMap::new()) };
}

impl Local {
    fn spawn<F>(self: &Rc<Self>, future: F, at: &'static Location<'static>) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1 << 32);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let waker = Waker::from(Arc::new(TaskWaker { id, ready: self.ready.clone() }));
        let abort = Arc::new(LocalAbort::new(id, waker));
        let (slot, main) = super::local_task(future);
        self.tasks.borrow_mut().insert(id, (main, abort.clone()));
        self.ready.push(id);
        JoinHandle::new(slot, RawTask::Local(abort), None, at)
    }

    /// Polls the ready tasks, at most a tick's worth; whether some are still ready.
    fn tick(&self) -> bool {
        for _ in 0..TASKS_PER_TICK {
            let Some(id) = lock(&self.ready.queue).pop_front() else { return false };
            let Some((mut future, abort)) = self.tasks.borrow_mut().remove(&id) else { continue };
            // An aborted task is dropped unpolled: its handle then says it was cancelled.
            if abort.is_aborted() {
                continue;
            }
            let waker = Waker::from(Arc::new(TaskWaker { id, ready: self.ready.clone() }));
            if future.as_mut().poll(&mut Context::from_waker(&waker)).is_pending() {
                self.tasks.borrow_mut().insert(id, (future, abort));
            }
        }
        !lock(&self.ready.queue).is_empty()
    }

    /// Drives the set on the calling task for one poll of it, with `main` (if any) polled
    /// first; `main`'s output once it is ready.
    fn drive<R>(self: &Rc<Self>, cx: &mut Context<'_>, main: Option<Main<'_, R>>) -> Poll<Option<R>> {
        *lock(&self.ready.driver) = Some(cx.waker().clone());
        let _driving = Driving::enter(self.clone());
        if let Some(main) = main {
            if let Poll::Ready(output) = main(cx) {
                return Poll::Ready(Some(output));
            }
        }
        if self.tick() {
            // More is ready: let the other tasks run first, as tokio's does.
            cx.waker().wake_by_ref();
        }
        if self.tasks.borrow().is_empty() { Poll::Ready(None) } else { Poll::Pending }
    }
}

/// While alive, `spawn_local` of the running task spawns on this set.
struct Driving {
    owner: Option<(u64, TaskId)>,
    before: Option<Rc<Local>>,
}

impl Driving {
    fn enter(local: Rc<Local>) -> Driving {
        let owner = engine::task_identity();
        let before = owner.and_then(|owner| DRIVING.with(|driving| driving.borrow_mut().insert(owner, local)));
        Driving { owner, before }
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        let Some(owner) = self.owner else { return };
        let before = self.before.take();
        let _ = DRIVING.try_with(|driving| match before {
            Some(before) => driving.borrow_mut().insert(owner, before),
            None => driving.borrow_mut().remove(&owner),
        });
    }
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        let repr = if engine::in_execution() {
            Repr::Explored(Rc::new(Local { tasks: RefCell::default(), ready: Arc::default() }))
        } else {
            Repr::Tokio(engine::tokio::LocalSet::new())
        };
        LocalSet { repr, _not_send: PhantomData }
    }

    /// Spawns a local task on the set; it runs while the set is driven, as tokio's.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let at = Location::caller();
        match &self.repr {
            Repr::Explored(local) => local.spawn(future, at),
            Repr::Tokio(set) => {
                let (slot, main) = super::local_task(future);
                JoinHandle::new(slot, RawTask::Tokio(set.spawn_local(main)), None, at)
            }
        }
    }

    /// Runs `future` to its end, the set's tasks along with it, as tokio's: on the calling
    /// task, where `spawn_local` spawns on this set.
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        match &self.repr {
            Repr::Tokio(set) => set.run_until(future).await,
            Repr::Explored(local) => {
                let mut future = std::pin::pin!(future);
                let mut main = |cx: &mut Context<'_>| future.as_mut().poll(cx);
                std::future::poll_fn(|cx| match local.drive(cx, Some(&mut main)) {
                    Poll::Ready(Some(output)) => Poll::Ready(output),
                    // Every task is done but `future` is not: it waits for something else.
                    Poll::Ready(None) | Poll::Pending => Poll::Pending,
                })
                .await
            }
        }
    }

    /// Makes this set the one `spawn_local` spawns on while the guard lives, as tokio's.
    pub fn enter(&self) -> LocalEnterGuard {
        match &self.repr {
            Repr::Tokio(set) => LocalEnterGuard { _tokio: Some(set.enter()), _driving: None },
            Repr::Explored(local) => LocalEnterGuard { _tokio: None, _driving: Some(Driving::enter(local.clone())) },
        }
    }
}

/// Runs every task of the set to its end, as awaiting tokio's `LocalSet` does.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.get_mut().repr {
            Repr::Tokio(set) => Pin::new(set).poll(cx),
            Repr::Explored(local) => local.drive::<()>(cx, None).map(|_| ()),
        }
    }
}

impl Default for LocalSet {
    fn default() -> Self {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet").finish_non_exhaustive()
    }
}

/// The context [`LocalSet::enter`] makes, until dropped.
pub struct LocalEnterGuard {
    _tokio: Option<engine::tokio::LocalEnterGuard>,
    _driving: Option<Driving>,
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}

/// Spawns a local task on the `LocalSet` the caller runs in, as `tokio::task::spawn_local`:
/// its future need not be `Send`.
///
/// # Panics
/// Outside a `LocalSet`, as tokio's.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let at = Location::caller();
    if !engine::in_execution() {
        let (slot, main) = super::local_task(future);
        return JoinHandle::new(slot, RawTask::Tokio(engine::tokio::spawn_local(main)), None, at);
    }
    let local = engine::task_identity().and_then(|owner| DRIVING.with(|driving| driving.borrow().get(&owner).cloned()));
    match local {
        Some(local) => local.spawn(future, at),
        None => panic!("`spawn_local` called from outside of a `task::LocalSet` or LocalRuntime"),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::{LocalSet, spawn_local};
    use crate::sync::oneshot;
    use crate::task::JoinSet;
    use crate::{FailureKind, Scenario};

    // After tokio's `tests/task_local_set.rs`: local tasks share `!Send` state, run while the
    // set is driven, and are cancelled when aborted.
    #[test]
    fn local_tasks_share_non_send_state_in_every_interleaving() {
        crate::check(|| async {
            let local = LocalSet::new();
            let count = Rc::new(Cell::new(0));
            let (tx, rx) = oneshot::channel();
            let other = crate::spawn(async move { tx.send(5).unwrap() });
            let total = local
                .run_until({
                    let count = count.clone();
                    async move {
                        let a = spawn_local({
                            let count = count.clone();
                            async move { count.set(count.get() + 1) }
                        });
                        let b = spawn_local(async move { rx.await.unwrap() });
                        a.await.unwrap();
                        count.get() + b.await.unwrap()
                    }
                })
                .await;
            assert_eq!(total, 6);
            other.await.unwrap();
            local.spawn_local(async move { count.set(10) });
            local.await;
        });
    }

    #[test]
    fn an_aborted_local_task_is_cancelled_and_a_join_set_holds_local_tasks() {
        crate::check(|| async {
            let local = LocalSet::new();
            local
                .run_until(async {
                    let (_tx, never) = oneshot::channel::<()>();
                    let stuck = spawn_local(never);
                    crate::task::yield_now().await;
                    stuck.abort();
                    assert!(stuck.await.unwrap_err().is_cancelled());
                    let mut set = JoinSet::new();
                    set.spawn_local(async { Rc::new(1) });
                    assert_eq!(*set.join_next().await.unwrap().unwrap(), 1);
                })
                .await;
        });
    }

    #[test]
    fn spawn_local_outside_a_local_set_panics_as_tokio() {
        let report = Scenario::new("local::outside").iterations(2).run(|| async {
            drop(spawn_local(async {}));
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Panic), "{report}");
        assert!(report.to_string().contains("`spawn_local` called from outside of a `task::LocalSet`"), "{report}");
    }

    #[test]
    fn outside_a_run_it_is_tokios() {
        let runtime = crate::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let local = LocalSet::new();
        let shared = Rc::new(Cell::new(1));
        let got = local.block_on(&runtime, {
            let shared = shared.clone();
            async move {
                let task = spawn_local(async move { shared.get() + 1 });
                task.await.unwrap()
            }
        });
        assert_eq!(got, 2);
    }
}

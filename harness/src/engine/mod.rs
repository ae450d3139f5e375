//! The one seam between the facade and the engines.
//!
//! Every facade primitive is written once, against the handful of operations below.
//! This module alone decides which engine serves them: inside an exploration the
//! deterministic scheduler that explores it (shuttle, or loom), outside of one a real
//! tokio runtime. The facade (`sync`, `task`, `time`) never names an engine; `explore`
//! chooses the engine of an exploration and writes its strategies against shuttle's
//! `Scheduler` trait.

pub(crate) mod atomic;
mod body;
pub(crate) mod channel;
pub(crate) mod coop;
pub(crate) mod foreign;
pub(crate) mod loom;
mod operation;
mod panic_hook;
mod progress;
pub(crate) mod shuttle;
mod state_lock;
mod subscriber;
mod task_frame;
mod task_waker;
mod timer;
pub(crate) mod tokio;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;
use std::thread::ThreadId;

use crate::run::execution;
pub(crate) use body::Body;
pub(crate) use coop::{Proceed, cooperative, has_budget_remaining, poll_budget_available, poll_proceed};
pub(crate) use operation::{
    Resource, TaskId, acquired, awaiting, begin, begin_preemptive, block, current_task, current_wait, dequeued,
    is_suspended, messages_lost, queued, record, record_with, released, relocked, run, run_preemptive, set_wait,
    spawned, task_identity, wait, wait_for_task,
};
pub(crate) use progress::{Explored, Interleaving, Plan};
pub(crate) use state_lock::{StateGuard, StateLock};
pub(crate) use task_frame::{CatchPanic, Instrumented, Panicked};
pub(crate) use timer::{
    EPOCH_BEFORE_ORIGIN, FAR_FUTURE, NEVER, Timer, advance_clock, after, from_std_instant, now, pause_clock,
    resume_clock, to_std_instant,
};

/// A task's future once the facade has wrapped it (panics caught, result published).
pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A local task's future (`spawn_local`): it never leaves its thread.
pub(crate) type LocalTaskFuture = Pin<Box<dyn Future<Output = ()> + 'static>>;

/// Which engine serves the calling code right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    /// Outside an exploration: tokio and std.
    Tokio,
    /// Inside an execution explored by shuttle.
    Shuttle,
    /// Inside an execution explored by loom.
    Loom,
}

thread_local! {
    /// The engine that explores the executions of this thread, while one does.
    static EXPLORING: std::cell::Cell<Engine> = const { std::cell::Cell::new(Engine::Shuttle) };
}

/// Whether the calling code runs inside an execution (of either engine).
#[inline]
pub(crate) fn in_execution() -> bool {
    execution::is_active()
}

/// The engine of the calling code.
#[inline]
pub(crate) fn current() -> Engine {
    if execution::is_active() { EXPLORING.with(std::cell::Cell::get) } else { Engine::Tokio }
}

/// Runs `explore` with `engine` serving the executions it begins on this thread.
pub(crate) fn exploring_with<R>(engine: Engine, explore: impl FnOnce() -> R) -> R {
    let previous = EXPLORING.with(|exploring| exploring.replace(engine));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(explore));
    EXPLORING.with(|exploring| exploring.set(previous));
    result.unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// A point where the scheduler may switch to another task.
#[inline]
pub(crate) fn scheduling_point() {
    match current() {
        Engine::Shuttle => {
            foreign::carry_out();
            shuttle::scheduling_point();
        }
        Engine::Loom => {
            foreign::carry_out();
            loom::scheduling_point();
        }
        Engine::Tokio => {}
    }
}

/// A scheduling point where the switch, if the strategy wants one, happens at once even
/// inside a poll: for racewright's own primitives without a tokio counterpart (atomics,
/// the blocking locks), whose callers racewright sees.
#[inline]
pub(crate) fn preemption_point() {
    match current() {
        Engine::Shuttle => {
            foreign::carry_out();
            shuttle::preemption_point();
        }
        Engine::Loom => {
            foreign::carry_out();
            loom::scheduling_point();
        }
        Engine::Tokio => {}
    }
}

/// The first poll of an await that is no scheduling point of its own, where every
/// racewright call is one: what a `JoinHandle` returns is its task's end, which that
/// task's own steps already order (shuttle's `JoinHandle` is no scheduling point either).
/// Where switches wait for a `Pending`, it is [`poll_point`]: a switch decided earlier in
/// the poll is carried out there.
pub(crate) fn await_point(cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
    if current() == Engine::Shuttle && shuttle::switches_at_pending() {
        return poll_point(cx);
    }
    std::task::Poll::Ready(())
}

/// The scheduling point of an operation's first poll. Where the strategy switches away,
/// the operation returns `Pending` (its task woken at once) and the switch happens once
/// the task is out of its poll: what user code holds while it polls (a `std` or
/// `parking_lot` guard around a `Sleep`'s poll) is let go first, and the operation then
/// goes on with no second decision when the task runs again. `Ready` when the operation
/// may go on now.
pub(crate) fn poll_point(cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
    use std::task::Poll;
    if current() != Engine::Shuttle || !shuttle::switches_at_pending() {
        scheduling_point();
        return Poll::Ready(());
    }
    let polled_with = cx.waker().data() as usize;
    let stand = execution::with(|state| {
        let task = state.current_task();
        // Polled by a user's own executor: no switch here (as where tokio never suspends).
        if state.tasks.get(task).own_waker != polled_with {
            return PointStand::GoOn;
        }
        if yields_for_deferred(state) {
            return PointStand::Yield;
        }
        match std::mem::take(&mut state.tasks.get_mut(task).past_point) {
            true => PointStand::GoOn,
            false => PointStand::Decide,
        }
    })
    .unwrap_or(PointStand::GoOn);
    let yields = match stand {
        PointStand::GoOn => false,
        PointStand::Yield => true,
        PointStand::Decide => {
            scheduling_point();
            execution::with(yields_for_deferred).unwrap_or(false)
        }
    };
    if yields {
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    Poll::Ready(())
}

/// Where an operation's first poll stands at its scheduling point.
enum PointStand {
    /// It goes on: its decision was taken before the task's switch, or it is polled by a
    /// user's own executor.
    GoOn,
    /// A switch decided earlier in this poll waits: it yields for it.
    Yield,
    /// The scheduler decides now.
    Decide,
}

/// Whether a switch away from the running task waits for it to leave its poll; if so the
/// task is marked preempted (its `Pending` is no wait).
fn yields_for_deferred(state: &mut execution::ExecutionState) -> bool {
    let deferred = state.scheduler.deferred.is_some();
    if deferred {
        let task = state.current_task();
        state.tasks.get_mut(task).preempted = true;
    }
    deferred
}

/// [`poll_point`] as a future, for operations written as `async` blocks.
pub(crate) async fn point() {
    std::future::poll_fn(poll_point).await
}

/// A scheduling point right after a lock or permits of racewright's were given back, as
/// shuttle's own locks have one: a waiter, or anyone, may go first before the releasing
/// task goes on. Releases run in drops: none once the execution is stopping (teardown), nor
/// while the task unwinds a panic. Only where racewright's own primitive is released, never
/// inside a call that user code may make while it holds a lock racewright cannot see.
pub(crate) fn release_point() {
    if current() == Engine::Shuttle && !execution::is_stopping() && !std::thread::panicking() {
        shuttle::release_point();
    }
}

/// Picks one of `n > 0` alternatives. Inside an execution the strategy picks (it is
/// recorded with the schedule and replayed); outside, the alternatives take turns.
pub(crate) fn choose(n: usize) -> usize {
    match current() {
        Engine::Shuttle => ::shuttle::rand::Rng::gen_range(&mut ::shuttle::rand::thread_rng(), 0..n),
        Engine::Loom => loom::choose(n),
        Engine::Tokio => {
            thread_local! {
                static TURN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
            }
            TURN.with(|turn| {
                turn.set(turn.get().wrapping_add(1));
                turn.get() % n
            })
        }
    }
}

/// Runs `future` as a new task of the current engine: a scheduling point, then the task.
/// (Shuttle's spawn is a scheduling point of its own: one more before it would let every
/// other task run twice per spawn, and the first tasks a body spawns would often be done
/// before the last ones exist.)
pub(crate) fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) -> RawTask {
    let home = foreign::this_thread();
    match current() {
        // Shuttle keeps the future where it polls it: no box of racewright's.
        Engine::Shuttle => RawTask::Shuttle(shuttle::spawn(future), home),
        Engine::Loom => {
            loom::scheduling_point();
            RawTask::Loom(loom::spawn(Box::pin(future)), home)
        }
        Engine::Tokio => RawTask::Tokio(tokio::spawn(Box::pin(future))),
    }
}

/// Runs `future`, whose first poll does blocking work and finishes, as a blocking task:
/// inside an execution a task (the caller marked it blocking in the registry), outside a
/// thread of tokio's blocking pool (of `handle`'s runtime, if given).
pub(crate) fn spawn_blocking<F>(future: F, handle: Option<&tokio::RuntimeHandle>) -> RawTask
where
    F: Future<Output = ()> + Send + 'static,
{
    match current() {
        Engine::Shuttle | Engine::Loom => spawn(future),
        Engine::Tokio => RawTask::Tokio(tokio::spawn_blocking(Box::pin(future), handle)),
    }
}

/// Runs `future` as a new task: on the runtime of `handle` outside an execution; inside one,
/// where there is no other runtime, as [`spawn`] does.
pub(crate) fn spawn_on<F: Future<Output = ()> + Send + 'static>(future: F, handle: &tokio::RuntimeHandle) -> RawTask {
    match current() {
        Engine::Shuttle | Engine::Loom => spawn(future),
        Engine::Tokio => RawTask::Tokio(tokio::spawn_on(Box::pin(future), handle)),
    }
}

/// Runs blocking code in place on the calling task, as `tokio::task::block_in_place`: inside
/// an execution the task is marked blocking meanwhile; outside it is tokio's.
pub(crate) fn block_in_place<R>(f: impl FnOnce() -> R) -> R {
    match current() {
        Engine::Shuttle | Engine::Loom => {
            let before = set_blocking(true);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            set_blocking(before);
            result.unwrap_or_else(|payload| std::panic::resume_unwind(payload))
        }
        Engine::Tokio => ::tokio::task::block_in_place(f),
    }
}

/// The engine's own id of the running task, when the engine has one.
pub(crate) fn current_task_key() -> Option<usize> {
    match current() {
        Engine::Shuttle => shuttle::current_task_key(),
        Engine::Loom => loom::current_task_key(),
        Engine::Tokio => None,
    }
}

/// The engine's handle on a spawned task: dropping it detaches the task. A task of an
/// execution knows the thread the execution runs on.
pub(crate) enum RawTask {
    Shuttle(shuttle::Spawned, ThreadId),
    Loom(loom::LoomTask, ThreadId),
    Tokio(::tokio::task::JoinHandle<()>),
    /// A task of a `LocalSet` inside an execution: a future its owner task polls.
    Local(Arc<LocalAbort>),
}

/// How a local task of an execution is aborted: a flag its `LocalSet` reads before each
/// poll, and the waker that makes it poll the task again.
pub(crate) struct LocalAbort {
    aborted: AtomicBool,
    waker: Waker,
    /// The task's id, apart from the report's numbering (local tasks are not in it).
    pub(crate) id: u64,
}

impl LocalAbort {
    pub(crate) fn new(id: u64, waker: Waker) -> Self {
        LocalAbort { aborted: AtomicBool::new(false), waker, id }
    }

    fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        self.waker.wake_by_ref();
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }
}

impl RawTask {
    /// Cancels the task at its next await; from another thread than its execution's, at
    /// the execution's next scheduling point.
    pub(crate) fn abort(&self) {
        match self {
            RawTask::Shuttle(task, home) if foreign::is_home(*home) => task.key().abort(),
            RawTask::Loom(task, home) if foreign::is_home(*home) => task.abort(),
            RawTask::Shuttle(_, home) | RawTask::Loom(_, home) => foreign::post_abort(*home, self.abort_handle()),
            RawTask::Tokio(handle) => handle.abort(),
            RawTask::Local(task) => task.abort(),
        }
    }

    /// tokio's id of a task spawned outside a run.
    pub(crate) fn tokio_id(&self) -> Option<::tokio::task::Id> {
        match self {
            RawTask::Tokio(handle) => Some(handle.id()),
            RawTask::Shuttle(..) | RawTask::Loom(..) | RawTask::Local(_) => None,
        }
    }

    /// A handle that can only abort the task, and can be cloned.
    pub(crate) fn abort_handle(&self) -> RawAbort {
        match self {
            RawTask::Shuttle(task, home) => RawAbort::Shuttle(task.key(), *home),
            RawTask::Loom(task, home) => RawAbort::Loom(task.clone(), *home),
            RawTask::Tokio(handle) => RawAbort::Tokio(handle.abort_handle()),
            RawTask::Local(task) => RawAbort::Local(task.clone()),
        }
    }
}

/// The engine's permission to abort a task, apart from its handle.
#[derive(Clone)]
pub(crate) enum RawAbort {
    Shuttle(shuttle::TaskKey, ThreadId),
    Loom(loom::LoomTask, ThreadId),
    Tokio(::tokio::task::AbortHandle),
    Local(Arc<LocalAbort>),
}

impl RawAbort {
    /// Cancels the task at its next await, as [`RawTask::abort`].
    pub(crate) fn abort(&self) {
        match self {
            RawAbort::Shuttle(task, home) if foreign::is_home(*home) => task.abort(),
            RawAbort::Loom(task, home) if foreign::is_home(*home) => task.abort(),
            RawAbort::Shuttle(_, home) | RawAbort::Loom(_, home) => foreign::post_abort(*home, self.clone()),
            RawAbort::Tokio(handle) => handle.abort(),
            RawAbort::Local(task) => task.abort(),
        }
    }
}

/// Blocks the calling task (not just its future) until another task unparks it.
///
/// The blocking primitives (`sync::blocking`) are built on this alone.
#[derive(Clone)]
pub(crate) enum Unparker {
    /// Shuttle's id of the task (not its `thread::Thread`, whose `unpark` is a scheduling
    /// point: a release that wakes three waiters would be four points where shuttle's own
    /// locks have one, and a waker's `wake` would be one).
    Shuttle(shuttle_engine::runtime::task::TaskId),
    Loom(loom::LoomUnparker),
    Std(std::thread::Thread),
}

impl Unparker {
    /// The handle that wakes the calling task from [`park`].
    pub(crate) fn for_current() -> Self {
        match current() {
            Engine::Shuttle => Unparker::Shuttle(shuttle_engine::current::me()),
            Engine::Loom => Unparker::Loom(loom::LoomUnparker::for_current()),
            Engine::Tokio => Unparker::Std(std::thread::current()),
        }
    }

    /// Wakes the task, or lets its next [`park`] return at once.
    pub(crate) fn unpark(&self) {
        match self {
            Unparker::Shuttle(task) => shuttle::unpark(*task),
            Unparker::Loom(task) => task.unpark(),
            Unparker::Std(thread) => thread.unpark(),
        }
    }

    /// Parks again the task this unparker woke, if it has not run since: what it was woken
    /// for is gone (another task took the lock), and running it would only let it look and
    /// park again, a step that adds no interleaving (shuttle's own locks block such waiters
    /// again too). Only on shuttle; returns whether the task sleeps again, to be woken as
    /// before. Elsewhere the task runs, looks, and parks again.
    pub(crate) fn repark(&self) -> bool {
        let Unparker::Shuttle(task) = self else { return false };
        shuttle::repark(*task)
    }

    /// Whether both wake the same task.
    pub(crate) fn wakes_same_task_as(&self, other: &Unparker) -> bool {
        match (self, other) {
            (Unparker::Shuttle(one), Unparker::Shuttle(other)) => one == other,
            (Unparker::Loom(one), Unparker::Loom(other)) => one.same_task(other),
            (Unparker::Std(one), Unparker::Std(other)) => one.id() == other.id(),
            _ => false,
        }
    }
}

/// Parks the calling task; it may return spuriously, callers re-check their condition.
/// Inside an execution the wait is judged first (with one thread for every task, it
/// blocks them all): a finding ends the execution instead.
pub(crate) fn park() {
    if current() != Engine::Tokio {
        execution::with(|state| {
            let task = state.current_task();
            crate::detect::judge(state, crate::detect::Moment::BlockingWait { task });
        });
    }
    match current() {
        Engine::Shuttle => shuttle::park(),
        Engine::Loom => loom::park(),
        Engine::Tokio => std::thread::park(),
    }
}

/// Tells the scheduler that the running task yields on purpose: strategies use it as a
/// fairness hint, so a task spinning on `yield_now` does not starve the others.
pub(crate) fn request_yield() {
    match current() {
        Engine::Shuttle => shuttle_engine::runtime::execution::ExecutionState::request_yield(),
        Engine::Loom => loom::request_yield(),
        Engine::Tokio => {}
    }
}

/// Whether the caller drives async tasks (a task of an execution, a tokio runtime), where
/// a blocking call would stall them: tokio's `blocking_*` methods panic there. A blocking
/// task (`spawn_blocking`, `block_in_place`) may block, as a thread of tokio's blocking pool.
pub(crate) fn in_async_context() -> bool {
    match current() {
        Engine::Tokio => tokio::in_async_context(),
        Engine::Shuttle | Engine::Loom => {
            !execution::with(|state| state.tasks.get(state.current_task()).blocking).unwrap_or(false)
        }
    }
}

/// Marks the running task of an execution as running blocking code, or no longer; returns
/// what it was.
pub(crate) fn set_blocking(blocking: bool) -> bool {
    execution::with(|state| {
        let task = state.current_task();
        std::mem::replace(&mut state.tasks.get_mut(task).blocking, blocking)
    })
    .unwrap_or(false)
}

/// Runs `future` to its end on the calling task, which blocks meanwhile: tokio's
/// `blocking_*` methods. Inside an execution the task parks (a scheduling point, and a wait
/// that reports show as the future's), outside it is the thread.
///
/// # Panics
/// In an async context, with tokio's message.
#[track_caller]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    assert!(
        !in_async_context(),
        "Cannot block the current thread from within a runtime. This happens because a function attempted \
         to block the current thread while the thread is being used to drive asynchronous tasks."
    );
    let unparker = Unparker::for_current();
    let waker = std::task::Waker::from(std::sync::Arc::new(UnparkOnWake(unparker)));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        park();
    }
}

/// A waker that unparks a task blocked in [`block_on`].
struct UnparkOnWake(Unparker);

impl std::task::Wake for UnparkOnWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// The calling task waits, without a future to return `Pending` from, for another task to
/// release something: let the others run first.
pub(crate) fn spin() {
    match current() {
        Engine::Shuttle => {
            shuttle_engine::runtime::execution::ExecutionState::request_yield();
            shuttle::scheduling_point();
        }
        Engine::Loom => {
            // A counted step (the step limit ends a spin that never ends), then loom's yield.
            loom::scheduling_point();
            loom::switching(::loom::thread::yield_now);
        }
        Engine::Tokio => std::thread::yield_now(),
    }
}

/// Whether the calling task's stack is being unwound by its engine to end the execution,
/// rather than by a panic of the code under test.
pub(crate) fn unwinding_for_teardown() -> bool {
    shuttle_engine::runtime::execution::ExecutionState::unwinding_for_teardown() || loom::tearing_down()
}

/// Whether a panic belongs to the engine rather than to the code under test: the engine
/// ending an execution, or failing in a way it has turned into a finding. The panic hook
/// neither records nor prints those.
pub(crate) fn claims_panic(info: &std::panic::PanicHookInfo<'_>) -> bool {
    current() == Engine::Loom && loom::claims_panic(info)
}

//! The waker racewright hands to each task's future: it wakes the task through the
//! engine's own waker, and counts its live clones, so that a task left with nothing
//! that could wake it is seen at once, not only as a deadlock or a leak at the end.
//!
//! A future that returns `Pending` must have arranged a wakeup: kept a clone of its
//! waker somewhere (every racewright primitive and timer does), or woken it already
//! (`yield_now`). The task frame reads the count after each `Pending`; the waker's own
//! `drop` notices when the last clone kept by someone else goes while the task waits
//! (its slot overwritten by another task's waker, say), unwoken.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::model::tasks::{TaskId, Unwakeable};
use crate::run::execution;

/// What a task's future did with its waker in a poll that returned `Pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WakerUse {
    /// Clones of the waker alive besides the task frame's own.
    pub(crate) kept: usize,
    /// The waker was used during the poll: the task will be polled again.
    pub(crate) woken: bool,
}

impl WakerUse {
    /// Nothing can wake the task: no clone kept, not woken.
    pub(crate) fn forgotten(self) -> bool {
        self.kept == 0 && !self.woken
    }
}

/// The state every clone of one task's waker shares.
struct Shared {
    task: TaskId,
    /// The execution the task belongs to (see `ExecutionState::serial`).
    execution: u64,
    /// The engine's waker of the task: the same for the task's whole life, on both engines.
    engine: Waker,
    /// Live wakers made from this state, the task frame's own included.
    clones: AtomicUsize,
    /// Woken since the task was last polled.
    woken: AtomicBool,
    /// The task returned `Pending` and has not been polled since.
    suspended: AtomicBool,
    /// The task has ended: what happens to its wakers no longer matters.
    ended: AtomicBool,
}

/// The task frame's handle on a task's counted waker.
pub(crate) struct TaskWaker {
    shared: Arc<Shared>,
    /// The frame's own waker, lent to the future at each poll.
    waker: Waker,
}

impl TaskWaker {
    /// The counted waker of `task`, which wakes it through `engine`, the engine's waker.
    pub(crate) fn new(task: TaskId, execution: u64, engine: &Waker) -> TaskWaker {
        let shared = Arc::new(Shared {
            task,
            execution,
            engine: engine.clone(),
            clones: AtomicUsize::new(1),
            woken: AtomicBool::new(false),
            suspended: AtomicBool::new(false),
            ended: AtomicBool::new(false),
        });
        let data = Arc::into_raw(shared.clone()).cast::<()>();
        // SAFETY: `data` is a strong reference to a `Shared`, which `VTABLE` expects and
        // gives back in `drop_waker`.
        let waker = unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) };
        TaskWaker { shared, waker }
    }

    /// The waker to poll the future with, delegating to `engine`'s; forgets earlier wakeups.
    /// `false` if the engine's waker is not the one this was made for (a new one is needed).
    pub(crate) fn begin_poll(&self, engine: &Waker) -> bool {
        if !self.shared.engine.will_wake(engine) {
            return false;
        }
        self.shared.woken.store(false, Ordering::Relaxed);
        self.shared.suspended.store(false, Ordering::Relaxed);
        true
    }

    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }

    /// The future returned `Pending`: what it did with the waker. From now until the next
    /// poll, the drop of the last clone kept elsewhere, unwoken, is recorded.
    pub(crate) fn suspend(&self) -> WakerUse {
        self.shared.suspended.store(true, Ordering::Relaxed);
        WakerUse {
            kept: self.shared.clones.load(Ordering::Relaxed).saturating_sub(1),
            woken: self.shared.woken.load(Ordering::Relaxed),
        }
    }
}

impl Drop for TaskWaker {
    fn drop(&mut self) {
        self.shared.ended.store(true, Ordering::Relaxed);
    }
}

const VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// # Safety
/// `data` comes from a `RawWaker` of `VTABLE`: a strong reference to a `Shared`.
unsafe fn shared<'a>(data: *const ()) -> &'a Shared {
    // SAFETY: the caller's promise; the reference lives as long as the waker.
    unsafe { &*data.cast::<Shared>() }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a strong reference (see `VTABLE`); the clone takes one more.
    unsafe { Arc::increment_strong_count(data.cast::<Shared>()) };
    // SAFETY: as above.
    unsafe { shared(data) }.clones.fetch_add(1, Ordering::Relaxed);
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `data` is a waker's strong reference, given up here by `drop_waker`.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` is a live waker's (see `VTABLE`).
    let shared = unsafe { shared(data) };
    shared.woken.store(true, Ordering::Relaxed);
    shared.engine.wake_by_ref();
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: `data` is a live waker's (see `VTABLE`).
    let shared = unsafe { shared(data) };
    let before = shared.clones.fetch_sub(1, Ordering::Relaxed);
    // The last clone kept elsewhere, gone while the task waits for a wakeup it cannot get now.
    let orphaned = before == 2
        && shared.suspended.load(Ordering::Relaxed)
        && !shared.woken.load(Ordering::Relaxed)
        && !shared.ended.load(Ordering::Relaxed);
    if orphaned {
        record_orphan(shared.execution, shared.task);
    }
    // SAFETY: the waker's strong reference, given up once.
    unsafe { Arc::decrement_strong_count(data.cast::<Shared>()) };
}

/// The last clone of `task`'s waker kept elsewhere was dropped while it waits: recorded in
/// the execution it belongs to, by the running task. A drop inside racewright's own
/// bookkeeping (the state borrowed) or after the execution is not recorded: the task shows
/// at the end as stuck instead.
fn record_orphan(execution: u64, task: TaskId) {
    execution::try_with(|state| {
        if state.serial == execution && !state.stopping && !state.tearing_down {
            let by = state.current_task();
            let unwakeable =
                Unwakeable::WakerDropped { step: state.scheduler.steps, by, after: state.trace.last_index_of(by) };
            state.tasks.get_mut(task).unwakeable = Some(unwakeable);
        }
    });
}

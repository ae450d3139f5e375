//! The waker racewright hands to each task's future: it wakes the task through the
//! engine's own waker, and counts its live clones, so that a task left with nothing
//! that could wake it is seen at once, not only as a deadlock or a leak at the end.
//!
//! A future that returns `Pending` must have arranged a wakeup: kept a clone of its
//! waker somewhere (every racewright primitive and timer does), or woken it already
//! (`yield_now`). The task frame reads the count after each `Pending`; the waker's own
//! `drop` notices when the last clone kept by someone else goes while the task waits
//! (its slot overwritten by another task's waker, say), unwoken.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
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

/// The state every clone of one task's waker shares, freed with the last clone: its count
/// of clones is its only reference count (an `Arc` would keep a second, and take two
/// atomic read-modify-writes at each clone and drop).
struct Shared {
    task: TaskId,
    /// The execution the task belongs to (see `ExecutionState::serial`).
    execution: u64,
    /// The engine's waker of the task: the same for the task's whole life, on both engines.
    engine: Waker,
    /// Live wakers made from this state, the task frame's own included: their references.
    clones: AtomicUsize,
    /// Woken since the task was last polled.
    woken: AtomicBool,
    /// The task returned `Pending` and has not been polled since.
    suspended: AtomicBool,
    /// The task has ended: what happens to its wakers no longer matters.
    ended: AtomicBool,
}

/// The task frame's handle on a task's counted waker: the frame's own waker, lent to the
/// future at each poll.
pub(crate) struct TaskWaker {
    waker: Waker,
}

impl TaskWaker {
    /// The counted waker of `task`, which wakes it through `engine`, the engine's waker.
    pub(crate) fn new(task: TaskId, execution: u64, engine: &Waker) -> TaskWaker {
        let shared = Box::new(Shared {
            task,
            execution,
            engine: engine.clone(),
            clones: AtomicUsize::new(1),
            woken: AtomicBool::new(false),
            suspended: AtomicBool::new(false),
            ended: AtomicBool::new(false),
        });
        let data = Box::into_raw(shared).cast_const().cast::<()>();
        // SAFETY: `data` is a `Shared` with one reference, this waker's, as `VTABLE` expects;
        // `drop_waker` gives it back.
        let waker = unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) };
        TaskWaker { waker }
    }

    fn shared(&self) -> &Shared {
        // SAFETY: the frame's waker is one of `VTABLE`'s, alive as long as `self`.
        unsafe { shared(self.waker.data()) }
    }

    /// The waker to poll the future with, delegating to `engine`'s; forgets earlier wakeups.
    /// `false` if the engine's waker is not the one this was made for (a new one is needed).
    pub(crate) fn begin_poll(&self, engine: &Waker) -> bool {
        let shared = self.shared();
        if !shared.engine.will_wake(engine) {
            return false;
        }
        shared.woken.store(false, Ordering::Relaxed);
        shared.suspended.store(false, Ordering::Relaxed);
        true
    }

    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }

    /// The future returned `Pending`: what it did with the waker. From now until the next
    /// poll, the drop of the last clone kept elsewhere, unwoken, is recorded.
    pub(crate) fn suspend(&self) -> WakerUse {
        let shared = self.shared();
        shared.suspended.store(true, Ordering::Relaxed);
        WakerUse {
            kept: shared.clones.load(Ordering::Relaxed).saturating_sub(1),
            woken: shared.woken.load(Ordering::Relaxed),
        }
    }
}

impl Drop for TaskWaker {
    fn drop(&mut self) {
        // Then the frame's waker goes, and with it the state if no clone is left.
        self.shared().ended.store(true, Ordering::Relaxed);
    }
}

const VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// # Safety
/// `data` comes from a live `RawWaker` of `VTABLE`: a reference to a `Shared`.
unsafe fn shared<'a>(data: *const ()) -> &'a Shared {
    // SAFETY: the caller's promise; the reference lives as long as the waker.
    unsafe { &*data.cast::<Shared>() }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a live waker's (see `VTABLE`); the clone takes one more reference
    // (relaxed, as `Arc`'s: a new reference comes from one held).
    unsafe { shared(data) }.clones.fetch_add(1, Ordering::Relaxed);
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `data` is a waker's reference, given up here by `drop_waker`.
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
    // Read while this reference keeps the state alive.
    let waiting = shared.suspended.load(Ordering::Relaxed)
        && !shared.woken.load(Ordering::Relaxed)
        && !shared.ended.load(Ordering::Relaxed);
    let (execution, task) = (shared.execution, shared.task);
    // Released, and the last reference acquires every other's uses before it frees the
    // state, as `Arc`'s drop does.
    let before = shared.clones.fetch_sub(1, Ordering::Release);
    if before == 1 {
        fence(Ordering::Acquire);
        // SAFETY: the last reference: nothing else reads the state any more.
        drop(unsafe { Box::from_raw(data.cast_mut().cast::<Shared>()) });
        return;
    }
    // The last clone kept elsewhere, gone while the task waits for a wakeup it cannot get now.
    if before == 2 && waiting {
        record_orphan(execution, task);
    }
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

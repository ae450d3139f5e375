//! Tasks on loom: each is a loom thread that polls its future, and parks while it waits.
//!
//! Loom threads take turns on one OS thread, so the bookkeeping below (who is blocked,
//! who was woken) is a plain thread-local, read and written only between loom
//! operations. It mirrors loom's own view, and lets the last task to block see that
//! every task is blocked before loom does: then time passes, the body winds down, or it
//! is a deadlock, described with what each task waits on.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use futures::future::LocalBoxFuture;

use super::{CancelFlag, MAX_TASKS, running_execution, stop, stop_if_stopping, too_many_tasks};
use crate::detect::{self, Moment};
use crate::engine::TaskFuture;
use crate::run::execution::{self, IdleReason};

/// Why a task's thread is parked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Blocked {
    /// Its future returned `Pending`: a wake makes it poll again.
    Future,
    /// Inside a blocking primitive (`engine::park`): its unparker makes it go on.
    Park,
}

/// One task of the execution, by its key (the body is 0, then spawn order).
#[derive(Default)]
struct Slot {
    /// Its thread, once it has started (a wake before then is no unpark).
    thread: Option<::loom::thread::Thread>,
    /// Its thread as the spawn handed it out, until the thread starts.
    spawned: Option<::loom::thread::Thread>,
    cancel: Option<Arc<CancelFlag>>,
    /// Invariant: `Some` only while the thread is, or is about to be, parked by loom.
    blocked: Option<Blocked>,
    /// Its waker was used since its last poll.
    woken: bool,
    /// Its unparker was used since its last `park`.
    unparked: bool,
    cancel_requested: bool,
    yielding: bool,
    /// Polls in a row that ended in `yield_now`.
    yields_in_a_row: usize,
    finished: bool,
    /// It made a `SeqCst` access since its last `SeqCst` fence: its next one needs a fence.
    seq_cst_unfenced: bool,
}

/// Yields in a row after which a task counts as spinning. Until then a yield is an
/// ordinary scheduling point, explored as any other; from then on it is loom's yield,
/// which lets every other task run first (loom never explores a yielded thread while
/// another can run), so a spin loop on `yield_now` ends instead of livelocking loom.
const SPIN_YIELDS: usize = 2;

struct Tasks {
    slots: Vec<Slot>,
    /// The task of the last step, to tell preemptions.
    last: Option<usize>,
    /// The body has returned: what is still blocked is being cancelled, not waited for.
    body_done: bool,
    /// Turns of `choose`, so that each execution chooses the same way (loom replays them).
    turn: usize,
}

impl Tasks {
    /// No task yet, no step, no turn.
    const NONE: Tasks = Tasks { slots: Vec::new(), last: None, body_done: false, turn: 0 };
}

thread_local! {
    static TASKS: RefCell<Tasks> = const { RefCell::new(Tasks::NONE) };
    /// The key of the task whose loom thread runs. Loom switches threads only inside its
    /// own operations, and racewright makes each through [`switching`], which puts this
    /// back when the operation returns to the thread: a read is then one plain
    /// thread-local, where loom's own thread-locals cost a hashed lookup each.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
}

#[cfg(debug_assertions)]
::loom::thread_local! {
    /// The key of the task each loom thread runs, as loom itself keeps it: what
    /// [`RUNNING`] is checked against in debug builds.
    static KEY: Cell<usize> = Cell::new(0);
}

fn with_tasks<R>(f: impl FnOnce(&mut Tasks) -> R) -> R {
    TASKS.with(|tasks| f(&mut tasks.borrow_mut()))
}

/// Racewright's key of the running task (also in the teardown, where loom is off limits).
pub(super) fn current_key() -> usize {
    let key = RUNNING.with(Cell::get);
    #[cfg(debug_assertions)]
    if super::modelling().is_some() && !super::tearing_down() {
        assert_eq!(key, KEY.with(Cell::get), "loom switched threads inside an operation made outside `switching`");
    }
    key
}

/// Runs a loom operation, which may switch to other tasks' threads before it returns to
/// this one: the running task's key is this task's again afterwards.
#[inline]
pub(crate) fn switching<R>(operation: impl FnOnce() -> R) -> R {
    let key = RUNNING.with(Cell::get);
    let result = operation();
    RUNNING.with(|running| running.set(key));
    result
}

/// Runs a `SeqCst` access of the running task on loom, after a `SeqCst` fence if the task
/// made one since its last fence. Loom models a `SeqCst` access as `AcqRel` (its README,
/// "Unsupported features"), which lets it read values no sequentially consistent execution
/// can (e.g. both loads of a store-buffering pair see the old values) and report bugs that
/// cannot happen. It models `SeqCst` fences fully, and a fence between every two `SeqCst`
/// accesses of each task makes them sequentially consistent. The price: the fence orders
/// the task's other accesses too, as a `SeqCst` fence written there would, so a missing
/// `Acquire` or `Release` among a task's `SeqCst` accesses can go unseen.
pub(crate) fn sequentially_consistent<R>(access: impl FnOnce() -> R) -> R {
    let key = RUNNING.with(Cell::get);
    if with_tasks(|tasks| std::mem::replace(&mut tasks.slots[key].seq_cst_unfenced, true)) {
        switching(|| ::loom::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst));
    }
    switching(access)
}

/// The running task made a `SeqCst` fence: its next `SeqCst` access needs none before it.
pub(crate) fn fenced() {
    let key = RUNNING.with(Cell::get);
    with_tasks(|tasks| tasks.slots[key].seq_cst_unfenced = false);
}

/// Forgets the tasks of the previous execution; the body is task 0.
pub(super) fn begin_execution(_execution: u64) {
    with_tasks(|tasks| {
        *tasks = Tasks { slots: vec![Slot { cancel: Some(CancelFlag::new()), ..Slot::default() }], ..Tasks::NONE }
    });
    RUNNING.with(|running| running.set(0));
}

/// A task spawned on loom: the handle to abort it.
#[derive(Clone)]
pub(crate) struct LoomTask {
    key: usize,
    cancel: Arc<CancelFlag>,
    execution: u64,
}

impl LoomTask {
    /// Cancels the task before its next poll.
    pub(crate) fn abort(&self) {
        if super::modelling() != Some(self.execution) {
            return;
        }
        self.cancel.set();
        let thread = with_tasks(|tasks| {
            let slot = &mut tasks.slots[self.key];
            slot.cancel_requested = true;
            runnable(slot)
        });
        if let Some(thread) = thread {
            thread.unpark();
        }
    }
}

/// Marks a task runnable again; the thread to unpark, if it has started and not ended.
fn runnable(slot: &mut Slot) -> Option<::loom::thread::Thread> {
    if slot.finished {
        return None;
    }
    slot.blocked = None;
    slot.thread.clone()
}

/// Spawns a loom thread that drives `future`.
pub(super) fn spawn(future: TaskFuture) -> LoomTask {
    let cancel = CancelFlag::new();
    let key = with_tasks(|tasks| {
        let key = tasks.slots.len();
        if key > MAX_TASKS {
            return None;
        }
        tasks.slots.push(Slot { cancel: Some(cancel.clone()), ..Slot::default() });
        Some(key)
    });
    let Some(key) = key else { too_many_tasks() };
    let execution = running_execution();
    let handle = switching(|| ::loom::thread::spawn(move || drive(key, future)));
    // Known from the handle: asking loom for the current thread costs a hashed lookup.
    with_tasks(|tasks| tasks.slots[key].spawned = Some(handle.thread().clone()));
    LoomTask { key, cancel, execution }
}

/// Drives the body on loom's main thread.
pub(super) fn run_body(body: LocalBoxFuture<'static, ()>) {
    drive(0, body);
}

/// The life of a task's thread: poll, wait for a wake, poll again, until the future
/// completes or the task is cancelled.
fn drive<F: Future<Output = ()> + Unpin>(key: usize, future: F) {
    RUNNING.with(|running| running.set(key));
    #[cfg(debug_assertions)]
    KEY.with(|k| k.set(key));
    let cancel = with_tasks(|tasks| {
        let slot = &mut tasks.slots[key];
        slot.thread = Some(slot.spawned.take().unwrap_or_else(::loom::thread::current));
        slot.cancel.clone().expect("every task has a cancel flag")
    });
    let waker = Waker::from(Arc::new(TaskWaker { key, execution: running_execution() }));
    let mut cx = Context::from_waker(&waker);
    // Dropped only when the task ends normally: an execution that stops leaks it, since
    // its drop could touch loom objects while loom unwinds.
    let mut future = ManuallyDrop::new(future);
    loop {
        stop_if_stopping();
        if cancel.is_set() {
            break;
        }
        step(key);
        with_tasks(|tasks| tasks.slots[key].woken = false);
        if std::pin::Pin::new(&mut *future).poll(&mut cx).is_ready() {
            break;
        }
        let spinning = with_tasks(|tasks| {
            let slot = &mut tasks.slots[key];
            if !std::mem::take(&mut slot.yielding) {
                slot.yields_in_a_row = 0;
                return false;
            }
            slot.yields_in_a_row += 1;
            // Yielding is not being preempted.
            tasks.last = None;
            tasks.slots[key].yields_in_a_row > SPIN_YIELDS
        });
        if spinning {
            switching(::loom::thread::yield_now);
        }
        wait_for_wake(key);
    }
    stop_if_stopping();
    // SAFETY: `future` is not used after this.
    unsafe { ManuallyDrop::drop(&mut future) };
    with_tasks(|tasks| {
        let slot = &mut tasks.slots[key];
        slot.finished = true;
        slot.blocked = None;
        tasks.body_done |= key == 0;
    });
    // The last task that could run has ended: the others are all blocked.
    if all_blocked() {
        nothing_can_run();
    }
}

/// Parks the task until its waker is used (or it is cancelled).
fn wait_for_wake(key: usize) {
    loop {
        let must_park = with_tasks(|tasks| {
            let slot = &mut tasks.slots[key];
            if slot.woken || slot.cancel_requested {
                return false;
            }
            slot.blocked = Some(Blocked::Future);
            true
        });
        if !must_park {
            return;
        }
        block(key);
    }
}

/// Blocks the running task in a blocking primitive until its unparker is used; may
/// return spuriously.
pub(super) fn park() {
    if super::modelling().is_none() {
        return;
    }
    stop_if_stopping();
    let key = current_key();
    let must_park = with_tasks(|tasks| {
        let slot = &mut tasks.slots[key];
        if std::mem::take(&mut slot.unparked) {
            return false;
        }
        slot.blocked = Some(Blocked::Park);
        true
    });
    if must_park {
        block(key);
    }
}

/// Parks the running task's thread, unless it was the last that could run: then what
/// happens when nothing can run decides first.
fn block(key: usize) {
    if all_blocked() {
        nothing_can_run();
    }
    if with_tasks(|tasks| tasks.slots[key].blocked.is_some()) {
        switching(::loom::thread::park);
    }
    with_tasks(|tasks| tasks.slots[key].blocked = None);
    stop_if_stopping();
}

fn all_blocked() -> bool {
    with_tasks(|tasks| !tasks.body_done && tasks.slots.iter().all(|slot| slot.finished || slot.blocked.is_some()))
}

/// Every task is blocked or finished: the clock moves to the next timer, or the
/// wound-down body may finish, or the execution is deadlocked (and stops here).
fn nothing_can_run() {
    let wakers = execution::with(|state| {
        state.scheduler.idle_reason = Some(IdleReason::AllBlocked);
        crate::engine::body::when_nothing_can_run(state)
    });
    stop_if_stopping();
    for waker in wakers.flatten().into_iter().flatten() {
        waker.wake();
    }
}

/// One step of the running task: counted, checked against the step limit, recorded.
pub(super) fn step(key: usize) {
    let preempted = with_tasks(|tasks| {
        let previous = tasks.last.replace(key).filter(|previous| *previous != key);
        previous.is_some_and(|previous| {
            let slot = &tasks.slots[previous];
            !slot.finished && slot.blocked.is_none()
        })
    });
    let over = execution::with(|state| {
        if !state.take_step() {
            detect::judge(state, Moment::StepLimit);
            return true;
        }
        state.record_choice(key, preempted);
        false
    });
    if over == Some(true) {
        stop();
    }
}

/// The running task yields on purpose.
pub(super) fn request_yield() {
    if super::modelling().is_some() {
        let key = current_key();
        with_tasks(|tasks| tasks.slots[key].yielding = true);
    }
}

/// One of `n` alternatives, in turns: loom branches only on schedules and loads, so the
/// choice is not explored, but it is the same in every execution, as loom requires.
pub(super) fn choose(n: usize) -> usize {
    with_tasks(|tasks| {
        tasks.turn = tasks.turn.wrapping_add(1);
        tasks.turn % n
    })
}

/// Cancels every task still alive once the body is done, and ends the exploration if
/// one cannot be: a task parked inside a blocking primitive never returns to its driver.
pub(super) fn cancel_the_rest() {
    stop_if_stopping();
    let stuck =
        with_tasks(|tasks| tasks.slots.iter().any(|slot| !slot.finished && slot.blocked == Some(Blocked::Park)));
    if stuck {
        super::stop_at_limit(
            "a task was left blocked in a blocking primitive (sync::blocking) when the test ended, which loom \
             cannot end; the leak policy allowed it, so no finding was made: deny leaks, or use the shuttle engine"
                .into(),
        );
    }
    let alive: Vec<(Arc<CancelFlag>, Option<::loom::thread::Thread>)> = with_tasks(|tasks| {
        tasks
            .slots
            .iter_mut()
            .skip(1)
            .filter(|slot| !slot.finished)
            .map(|slot| {
                slot.cancel_requested = true;
                (slot.cancel.clone().expect("every task has a cancel flag"), runnable(slot))
            })
            .collect()
    });
    for (cancel, thread) in alive {
        cancel.set();
        if let Some(thread) = thread {
            thread.unpark();
        }
    }
}

/// A task's waker: marks it woken and unparks its thread (which also gives the wakee
/// what the waker did before, as a real executor's queue would).
struct TaskWaker {
    key: usize,
    execution: u64,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        wake(self.key, self.execution, |slot| slot.woken = true);
    }
}

fn wake(key: usize, execution: u64, mark: impl FnOnce(&mut Slot)) {
    if super::modelling() != Some(execution) {
        return;
    }
    let thread = with_tasks(|tasks| {
        let slot = tasks.slots.get_mut(key)?;
        mark(slot);
        runnable(slot)
    });
    if let Some(thread) = thread {
        thread.unpark();
    }
}

/// Wakes a task parked in a blocking primitive.
#[derive(Clone)]
pub(crate) struct LoomUnparker {
    key: usize,
    execution: u64,
}

impl LoomUnparker {
    pub(crate) fn for_current() -> Self {
        LoomUnparker { key: current_key(), execution: running_execution() }
    }

    pub(crate) fn unpark(&self) {
        wake(self.key, self.execution, |slot| slot.unparked = true);
    }

    /// Whether both wake the same task.
    pub(crate) fn same_task(&self, other: &LoomUnparker) -> bool {
        self.key == other.key && self.execution == other.execution
    }
}

//! The heartbeat of an exploration: every scheduling point beats it, and the watchdog
//! (`explore/pipeline/watchdog.rs`) that hears no beat for too long knows an execution is
//! stuck outside racewright's control. Each thread that explores also keeps its
//! [`Whereabouts`] up to date (its execution, the task running, each task's last
//! racewright call), so that the watchdog, which cannot look into another thread's
//! execution, can still say where one is stuck.

use std::cell::RefCell;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::model::tasks::{TaskId, TaskLabel};
use calls::{Call, CallSlot, SLOTS};

mod calls;

/// What the watchdog of one exploration listens to; shared by the threads that explore.
#[derive(Default)]
pub(crate) struct Heartbeat {
    /// Scheduling points passed by the threads that have left the exploration (each
    /// thread counts its own in its [`Told`], so that the lanes' threads never write to
    /// one place at every step).
    retired_beats: AtomicU64,
    /// The whereabouts of each thread exploring for it.
    threads: Mutex<Vec<Arc<Told>>>,
    /// The watchdog gave the exploration up: its other lanes start no new execution.
    abandoned: std::sync::atomic::AtomicBool,
}

/// Where one exploring thread is.
#[derive(Clone, Debug, Default)]
pub(crate) struct Whereabouts {
    /// The thread's OS id, where `/proc` tells it.
    pub(crate) tid: Option<String>,
    /// Executions this thread has begun, the current one included.
    pub(crate) executions: usize,
    /// Whether it is inside an execution (between its beginning and its end).
    pub(crate) in_execution: bool,
    /// The task that runs (racewright's id), when known, and the step it started at.
    pub(crate) running: Option<(usize, usize)>,
    /// The tasks of the current execution that ran, by id.
    pub(crate) tasks: Vec<Option<TaskWhereabouts>>,
}

/// What the watchdog knows of one task of the current execution.
#[derive(Clone, Debug)]
pub(crate) struct TaskWhereabouts {
    pub(crate) name: TaskLabel,
    /// Its last racewright call: the operation, where, and at which step.
    pub(crate) last_call: Option<Call>,
}

impl Heartbeat {
    /// Scheduling points passed so far, by every thread of the exploration.
    pub(crate) fn beats(&self) -> u64 {
        let live: u64 = lock(&self.threads).iter().map(|told| told.beats.load(Ordering::Relaxed)).sum();
        self.retired_beats.load(Ordering::Relaxed) + live
    }

    /// Gives the exploration up: the lanes still running start no new execution.
    pub(crate) fn abandon(&self) {
        self.abandoned.store(true, Ordering::Relaxed);
    }

    /// Whether the watchdog gave the exploration up.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Relaxed)
    }

    /// The whereabouts of each thread exploring for it now.
    pub(crate) fn threads(&self) -> Vec<Whereabouts> {
        lock(&self.threads).iter().map(|told| told.whereabouts()).collect()
    }
}

/// What one exploring thread tells of itself. What changes at every step or execution (the
/// task that runs, the beats, the executions, the tasks' last calls) are atomics, which only
/// this thread writes; the names of tasks are behind a lock. Aligned to a cache line pair of
/// its own, so that two threads' parts never share one.
#[repr(align(128))]
struct Told {
    /// Scheduling points this thread passed.
    beats: AtomicU64,
    /// `(task << 32) | step`, or [`NOT_RUNNING`].
    running: AtomicU64,
    /// Executions this thread has begun, the current one included.
    executions: AtomicU64,
    /// Whether it is inside an execution.
    in_execution: AtomicBool,
    /// The last call of each of the first [`SLOTS`] tasks of the current execution (those
    /// of the others are in `named`).
    calls: [CallSlot; SLOTS],
    named: Mutex<Named>,
}

/// What an exploring thread tells under its lock.
struct Named {
    /// The thread's OS id, where `/proc` tells it.
    tid: Option<String>,
    /// The tasks with a name of their own, and those past the slots (with their last call),
    /// by id, each with the execution it belongs to: those of earlier executions are stale.
    tasks: Vec<Option<(u64, TaskWhereabouts)>>,
}

/// No task of this thread's execution is known to run.
const NOT_RUNNING: u64 = u64::MAX;

impl Told {
    fn whereabouts(&self) -> Whereabouts {
        let execution = self.executions.load(Ordering::Relaxed);
        let running = self.running.load(Ordering::Relaxed);
        let named = lock(&self.named);
        let mut whereabouts = Whereabouts {
            tid: named.tid.clone(),
            executions: execution as usize,
            in_execution: self.in_execution.load(Ordering::Relaxed),
            running: (running != NOT_RUNNING).then_some(((running >> 32) as usize, running as u32 as usize)),
            tasks: (named.tasks.iter())
                .map(|task| task.as_ref().filter(|(named_in, _)| *named_in == execution).map(|(_, seen)| seen.clone()))
                .collect(),
        };
        drop(named);
        for (task, slot) in self.calls.iter().enumerate() {
            if slot.named_in.load(Ordering::Relaxed) != execution {
                continue;
            }
            if whereabouts.tasks.len() <= task {
                whereabouts.tasks.resize(task + 1, None);
            }
            let label = || TaskLabel::Unnamed(TaskId(task));
            whereabouts.tasks[task]
                .get_or_insert_with(|| TaskWhereabouts { name: label(), last_call: None })
                .last_call = slot.read(execution);
        }
        whereabouts
    }

    #[inline]
    fn now_running(&self, task: usize, step: usize) {
        let running = self.running.load(Ordering::Relaxed);
        if running == NOT_RUNNING || (running >> 32) as usize != task {
            let step = step.min(u32::MAX as usize) as u64;
            self.running.store(((task as u64) << 32) | step, Ordering::Relaxed);
        }
    }
}

/// A thread's part of an exploration's heartbeat; the thread leaves it when it ends.
struct Pulse(Link);

impl Drop for Pulse {
    fn drop(&mut self) {
        let Link { heartbeat, told } = &self.0;
        let mut threads = lock(&heartbeat.threads);
        threads.retain(|other| !Arc::ptr_eq(other, told));
        // Under the lock, so that the watchdog never sees these beats twice or not at all.
        heartbeat.retired_beats.fetch_add(told.beats.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

thread_local! {
    /// The heartbeat of the exploration running on this thread.
    static PULSE: RefCell<Option<Pulse>> = const { RefCell::new(None) };
}

/// The heartbeat of this thread's exploration, for the threads that help it.
pub(crate) fn current() -> Option<Arc<Heartbeat>> {
    PULSE.with(|pulse| pulse.borrow().as_ref().map(|pulse| pulse.0.heartbeat.clone()))
}

/// Makes this thread beat `heartbeat` (an exploration's own thread, or one of its lanes),
/// or, with `None`, no heartbeat any more.
pub(crate) fn adopt(heartbeat: Option<Arc<Heartbeat>>) {
    thread_local! {
        /// This thread's OS id, read once: explorers and lanes adopt a heartbeat per
        /// exploration.
        static TID: Option<String> = std::fs::read_link("/proc/thread-self")
            .ok()
            // `/proc/thread-self` links to `<pid>/task/<tid>`.
            .and_then(|link| link.file_name().and_then(|tid| tid.to_str()).map(str::to_string));
    }
    let pulse = heartbeat.map(|heartbeat| {
        let tid = TID.with(Clone::clone);
        let told = Arc::new(Told {
            beats: AtomicU64::new(0),
            running: AtomicU64::new(NOT_RUNNING),
            executions: AtomicU64::new(0),
            in_execution: AtomicBool::new(false),
            calls: std::array::from_fn(|_| CallSlot::default()),
            named: Mutex::new(Named { tid, tasks: Vec::new() }),
        });
        lock(&heartbeat.threads).push(told.clone());
        Pulse(Link { heartbeat, told })
    });
    // The previous pulse, if any, is dropped here: its thread leaves that heartbeat.
    PULSE.with(|current| current.replace(pulse));
}

impl Whereabouts {
    /// The name of task `id`, as reports show it.
    pub(crate) fn name_of(&self, id: usize) -> String {
        match self.tasks.get(id).and_then(Option::as_ref) {
            Some(seen) => seen.name.to_string(),
            None => TaskLabel::Unnamed(TaskId(id)).to_string(),
        }
    }

    /// Whether the thread sleeps in the kernel now (a lock, I/O, a real sleep: never a
    /// wait of racewright's, which are all in user space), as `/proc` tells.
    pub(crate) fn blocked_in_kernel(&self) -> bool {
        let Some(tid) = &self.tid else { return false };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) else { return false };
        // `pid (comm) state ...`: the name may hold spaces and parentheses.
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
        matches!(state, Some("S" | "D"))
    }
}

/// This thread's part of its exploration's heartbeat, for an execution to keep at hand:
/// what it tells at every step, it tells without looking the thread's part up.
#[derive(Clone)]
pub(crate) struct Link {
    heartbeat: Arc<Heartbeat>,
    told: Arc<Told>,
}

/// This thread's part of its exploration's heartbeat, if a watchdog listens.
pub(crate) fn link() -> Option<Link> {
    PULSE.with(|pulse| pulse.borrow().as_ref().map(|pulse| pulse.0.clone()))
}

impl Link {
    /// Tells the watchdog that the exploration still makes progress.
    #[inline]
    pub(crate) fn beat(&self) {
        // This thread is the only writer: no read-modify-write needed.
        let beats = &self.told.beats;
        beats.store(beats.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    /// Task `task` runs from step `step` on.
    #[inline]
    pub(crate) fn running(&self, task: usize, step: usize) {
        self.told.now_running(task, step);
    }

    /// An execution begins on this thread.
    pub(crate) fn execution_began(&self) {
        let told = &self.told;
        told.running.store(NOT_RUNNING, Ordering::Relaxed);
        told.executions.store(told.executions.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        told.in_execution.store(true, Ordering::Relaxed);
    }

    /// The execution of this thread has ended.
    pub(crate) fn execution_ended(&self) {
        self.told.in_execution.store(false, Ordering::Relaxed);
    }

    /// Task `task` runs for the first time in this execution; `name` names it.
    pub(crate) fn first_run(&self, task: usize, step: usize, name: impl FnOnce() -> TaskLabel) {
        self.told.now_running(task, step);
        self.named(task, name);
    }

    /// Task `task` called `operation` at `at`, at step `step`.
    #[inline]
    pub(crate) fn called(
        &self,
        task: usize,
        step: usize,
        operation: &'static str,
        at: &'static Location<'static>,
        name: impl FnOnce() -> TaskLabel,
    ) {
        self.told.now_running(task, step);
        let call = (operation, at, step);
        match self.told.calls.get(task) {
            Some(slot) => slot.write(self.named(task, name), call),
            None => {
                let execution = self.told.executions.load(Ordering::Relaxed);
                seen(&mut lock(&self.told.named), execution, task, name).last_call = Some(call);
            }
        }
    }

    /// Tells the name of `task` once per execution; the thread's execution count.
    #[inline]
    fn named(&self, task: usize, name: impl FnOnce() -> TaskLabel) -> u64 {
        let execution = self.told.executions.load(Ordering::Relaxed);
        let slot = self.told.calls.get(task);
        if slot.is_none_or(|slot| slot.named_in.load(Ordering::Relaxed) != execution) {
            let label = name();
            // A task with a slot and no name of its own is told by its slot alone: the
            // watchdog knows its label from its id.
            if slot.is_none() || matches!(label, TaskLabel::Named(_)) {
                seen(&mut lock(&self.told.named), execution, task, || label);
            }
            if let Some(slot) = slot {
                slot.named_in.store(execution, Ordering::Relaxed);
            }
        }
        execution
    }
}

/// Task `task` of execution `execution`, named (once per execution) by `name`.
fn seen(named: &mut Named, execution: u64, task: usize, name: impl FnOnce() -> TaskLabel) -> &mut TaskWhereabouts {
    if named.tasks.len() <= task {
        named.tasks.resize(task + 1, None);
    }
    let entry = &mut named.tasks[task];
    if entry.as_ref().is_none_or(|(named_in, _)| *named_in != execution) {
        *entry = Some((execution, TaskWhereabouts { name: name(), last_call: None }));
    }
    &mut entry.as_mut().expect("just made").1
}

/// The watchdog only reads; a panic while one is held cannot leave them half-written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OS id of the calling thread.
    fn this_tid() -> Option<String> {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        link.file_name()?.to_str().map(str::to_string)
    }

    #[test]
    fn a_thread_asleep_in_the_kernel_is_told_from_one_that_runs() {
        let Some(me) = this_tid() else { return };
        // This thread runs while it reads its own state.
        assert!(!Whereabouts { tid: Some(me), ..Whereabouts::default() }.blocked_in_kernel());
        let (tid_sender, tid) = std::sync::mpsc::channel();
        let (wake, asleep) = std::sync::mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            tid_sender.send(this_tid()).unwrap();
            asleep.recv().unwrap();
        });
        let sleeper_tid = tid.recv().unwrap();
        let whereabouts = Whereabouts { tid: sleeper_tid, ..Whereabouts::default() };
        // It blocks in the kernel on the channel soon after it sent its id.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !whereabouts.blocked_in_kernel() {
            assert!(std::time::Instant::now() < deadline, "the sleeping thread never seemed asleep");
            std::thread::yield_now();
        }
        wake.send(()).unwrap();
        sleeper.join().unwrap();
        // Without an id nothing is known, and nothing is taken as blocked.
        assert!(!Whereabouts::default().blocked_in_kernel());
    }
}

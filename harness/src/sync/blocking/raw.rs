//! The reader-writer lock that `Mutex` (exclusive access only) and `RwLock` are made of.
//!
//! Its state sits in the engine's `StateLock`, held only for a few lines and never across a
//! scheduling point. A task that cannot take the lock registers its `Unparker` and
//! parks; a release that frees the lock wakes every registered task, and each re-checks
//! (std's locks are not fair either, so who wins after a release is the scheduler's
//! choice, and explored). Once one takes the lock, the woken tasks that could now only
//! look and park again sleep again at once, without a step. Writers are preferred, as by
//! std's futex `RwLock`: a reader waits while a writer waits.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};

use smallvec::SmallVec;

use super::Holder;
use crate::engine::{self, Resource, StateGuard, StateLock, Unparker};
use crate::sync::wait_list::{WaitList, WaiterId};

/// The lock of one `Mutex` or `RwLock`.
pub(super) struct RawLock {
    state: StateLock<State>,
    /// Set when a writer's guard is dropped by a panicking thread, as std's poison flag.
    poisoned: AtomicBool,
    /// What the lock is, for reports: `blocking::Mutex` or `blocking::RwLock`.
    pub(super) resource: Resource,
}

/// Shared or exclusive access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    Shared,
    Exclusive,
}

/// One hold of the lock: by whom, and where it was taken. Its guard keeps it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hold {
    holder: Holder,
    pub(super) at: &'static Location<'static>,
    /// The thread was already panicking when the lock was taken (std poisons only on a
    /// panic that starts while the lock is held).
    panicking: bool,
}

#[derive(Default)]
struct State {
    /// Invariant: `writer` and `readers` are never both taken.
    writer: Option<Hold>,
    readers: Vec<Hold>,
    /// Writers blocked in `lock`, who keep new readers out.
    writers_waiting: usize,
    /// The parked tasks to wake when the lock is freed, and the access each waits for; each
    /// re-registers if it loses.
    waiters: WaitList<(Unparker, Access)>,
    /// The tasks a release woke that have not looked at the lock since, and the access each
    /// waits for: once the lock is taken again, those that could only look and park again
    /// are parked again at once and queued as before (`State::took`).
    woken: SmallVec<[(Unparker, Access); 4]>,
}

impl State {
    fn can_take(&self, access: Access) -> bool {
        match access {
            Access::Exclusive => self.writer.is_none() && self.readers.is_empty(),
            Access::Shared => self.writer.is_none() && self.writers_waiting == 0,
        }
    }

    fn take(&mut self, access: Access, hold: Hold) {
        match access {
            Access::Exclusive => self.writer = Some(hold),
            Access::Shared => self.readers.push(hold),
        }
        self.took();
    }

    /// After the lock was taken: each woken task that could now only look and park again
    /// sleeps again, queued for the next release, without a step of its own. Shuttle's locks
    /// do the same: the steps of tasks that lose the race after a release add no
    /// interleaving, and were most of the decisions of programs with contended locks.
    fn took(&mut self) {
        let mut index = 0;
        while index < self.woken.len() {
            let (_, access) = self.woken[index];
            if self.can_take(access) {
                index += 1;
                continue;
            }
            let woken = self.woken.swap_remove(index);
            if woken.0.repark() {
                self.waiters.push(woken);
            }
        }
    }

    /// The task of `unparker` looks at the lock: it is no longer one a release woke.
    fn looks(&mut self, unparker: &Unparker) {
        self.woken.retain(|(woken, _)| !woken.wakes_same_task_as(unparker));
    }

    /// Who keeps `access` from being taken, for the trace.
    fn blockers(&self, access: Access) -> String {
        match (self.writer, access) {
            (Some(writer), _) => writer.holder.to_string(),
            (None, Access::Exclusive) => {
                self.readers.iter().map(|reader| reader.holder.to_string()).collect::<Vec<_>>().join(", ")
            }
            (None, Access::Shared) => "a waiting writer".to_string(),
        }
    }

    /// The hold of `holder` that `access` would wait for forever, if any.
    fn held_by(&self, holder: Holder, access: Access) -> Option<Hold> {
        let writer = self.writer.filter(|hold| hold.holder == holder);
        let reader = || self.readers.iter().find(|hold| hold.holder == holder).copied();
        match access {
            // Another read while reading waits only behind a waiting writer; the deadlock
            // detector finds that one when everybody is blocked.
            Access::Shared => writer,
            Access::Exclusive => writer.or_else(reader),
        }
    }
}

impl RawLock {
    pub(super) fn new(kind: &'static str, created_at: &'static Location<'static>) -> Self {
        RawLock {
            state: StateLock::default(),
            poisoned: AtomicBool::new(false),
            resource: Resource::blocking(kind, created_at),
        }
    }

    fn state(&self) -> StateGuard<'_, State> {
        // The state is consistent between statements: a panic cannot leave it half-changed.
        self.state.lock()
    }

    /// Takes the lock, blocking the task while others hold it; a scheduling point.
    /// `operation` and `at` name the wait in reports.
    pub(super) fn lock(&self, access: Access, operation: &'static str, at: &'static Location<'static>) -> Hold {
        engine::preemption_point();
        let hold = Hold { holder: Holder::current(), at, panicking: std::thread::panicking() };
        let mut waiter: Option<(WaiterId, Unparker)> = None;
        let mut counted_as_writer = false;
        loop {
            let mut state = self.state();
            if let Some((_, unparker)) = &waiter {
                state.looks(unparker);
            }
            if state.can_take(access) {
                state.take(access, hold);
                if counted_as_writer {
                    state.writers_waiting -= 1;
                }
                if let Some((id, _)) = &waiter {
                    state.waiters.remove(*id);
                }
                drop(state);
                engine::acquired(self.resource, at);
                if waiter.is_some() {
                    // Woken inside its poll, the task is not polled anew: clear its wait here.
                    engine::set_wait(None);
                }
                engine::record_with(operation, at, || {
                    if waiter.is_some() { "acquired after waiting" } else { "acquired" }.to_string()
                });
                return hold;
            }
            if let Some(held) = state.held_by(hold.holder, access) {
                drop(state);
                self.relocked(operation, at, hold.holder, held);
            }
            if waiter.is_none() {
                engine::record_with(operation, at, || format!("waits for {}", state.blockers(access)));
            }
            if access == Access::Exclusive && !counted_as_writer {
                state.writers_waiting += 1;
                counted_as_writer = true;
            }
            // Queued the first time; queued again after a release that woke us took us off.
            match &mut waiter {
                Some((id, unparker)) if !state.waiters.contains(*id) => {
                    *id = state.waiters.push((unparker.clone(), access));
                }
                Some(_) => {}
                None => {
                    let unparker = Unparker::for_current();
                    waiter = Some((state.waiters.push((unparker.clone(), access)), unparker));
                }
            }
            drop(state);
            engine::block(operation, at, Some(self.resource));
            engine::park();
        }
    }

    /// Takes the lock if it is free, without blocking or recording anything.
    pub(super) fn try_lock(&self, access: Access, at: &'static Location<'static>) -> Option<Hold> {
        let mut state = self.state();
        if !state.can_take(access) {
            return None;
        }
        let hold = Hold { holder: Holder::current(), at, panicking: std::thread::panicking() };
        state.take(access, hold);
        engine::acquired(self.resource, at);
        Some(hold)
    }

    /// Gives back `hold`, poisoning the lock if a writer panicked while holding it.
    pub(super) fn unlock(&self, access: Access, hold: Hold) {
        if access == Access::Exclusive && !hold.panicking && std::thread::panicking() {
            self.poisoned.store(true, Ordering::Relaxed);
        }
        engine::released(self.resource, hold.at);
        // Few wait at once: no allocation for them.
        let mut waking: SmallVec<[Unparker; 4]> = SmallVec::new();
        {
            let mut state = self.state();
            match access {
                Access::Exclusive => state.writer = None,
                Access::Shared => {
                    let mine =
                        state.readers.iter().position(|other| other.holder == hold.holder && other.at == hold.at);
                    state.readers.swap_remove(mine.expect("a read guard's hold is among the readers"));
                }
            }
            if state.can_take(Access::Exclusive) {
                let State { waiters, woken, .. } = &mut *state;
                for (unparker, access) in waiters.take_all() {
                    waking.push(unparker.clone());
                    woken.push((unparker, access));
                }
            }
        }
        // Never while holding the state: a woken task may run at the release point below.
        for unparker in waking {
            unparker.unpark();
        }
        engine::release_point();
    }

    pub(super) fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Relaxed)
    }

    /// `Ok(value)`, or, if the lock is poisoned, `Err` holding it, as std's.
    pub(super) fn check_poison<G>(&self, value: G) -> std::sync::LockResult<G> {
        poison_result(self.is_poisoned(), value)
    }

    pub(super) fn clear_poison(&self) {
        self.poisoned.store(false, Ordering::Relaxed);
    }

    /// The running task or thread asked for a lock it holds, and would wait for itself
    /// forever. Inside an exploration that is a deadlock finding, and the execution ends
    /// here; outside of one, a panic, where std's lock would hang or panic.
    fn relocked(&self, operation: &'static str, at: &'static Location<'static>, me: Holder, held: Hold) -> ! {
        let kind = self.resource.kind;
        engine::relocked(operation, at, self.resource, held.at);
        panic!(
            "{operation} at {at}: {me} already holds this {kind} (locked at {}); \
             std's would deadlock here",
            held.at
        );
    }
}

/// `Ok(value)`, or `Err` holding it when `poisoned`, as std's.
pub(super) fn poison_result<G>(poisoned: bool, value: G) -> std::sync::LockResult<G> {
    if poisoned { Err(std::sync::PoisonError::new(value)) } else { Ok(value) }
}

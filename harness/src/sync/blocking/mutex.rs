//! `Mutex`: std's blocking mutex, whose every `lock` is explored.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{LockResult, TryLockError, TryLockResult};

use super::raw::{Access, Hold, RawLock};
use crate::engine;

/// A blocking mutex, as `std::sync::Mutex`: `lock` blocks the whole task until the
/// lock is free, and a guard dropped while its thread panics poisons the mutex.
///
/// Holding its guard across an `.await` compiles in the scenario's body (whose future
/// need not be `Send`), and is the bug this type is here to find: another task that
/// locks it meanwhile blocks, and with a second lock taken in the other order, both do.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::blocking::Mutex;
/// use std::sync::Arc;
///
/// let count = Arc::new(Mutex::new(0));
/// let task = racewright::spawn({
///     let count = count.clone();
///     async move { *count.lock().unwrap() += 1 }
/// });
/// *count.lock().unwrap() += 1;
/// task.await.unwrap();
/// assert_eq!(*count.lock().unwrap(), 2);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawLock,
    data: UnsafeCell<T>,
}

// SAFETY: the lock makes access to `data` exclusive, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// As std's: a panic while the lock is held poisons it, which the next holder is told.
impl<T: ?Sized> std::panic::UnwindSafe for Mutex<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex. Not `const`, unlike std's: it records where it was
    /// created, to name it in reports.
    #[track_caller]
    pub fn new(value: T) -> Self {
        Mutex { raw: RawLock::new("blocking::Mutex", Location::caller()), data: UnsafeCell::new(value) }
    }

    /// The protected value, consuming the mutex; `Err` (with the value) if it is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.raw.is_poisoned();
        super::raw::poison_result(poisoned, self.data.into_inner())
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, blocking the task as long as another holds it.
    ///
    /// `Err` (still holding the lock) if the mutex is poisoned. Locking a mutex the task
    /// already holds is a deadlock: inside an exploration, the finding; outside of one,
    /// a panic.
    #[track_caller]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        self.lock_as("blocking::Mutex::lock", Location::caller())
    }

    /// Locks the mutex if it is free, without blocking.
    ///
    /// `Err(WouldBlock)` if it is held, even by the calling task; `Err(Poisoned)` (with
    /// the guard) if it is poisoned.
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let at = engine::begin_preemptive();
        let Some(hold) = self.raw.try_lock(Access::Exclusive, at) else {
            engine::record_with("blocking::Mutex::try_lock", at, || "would block".into());
            return Err(TryLockError::WouldBlock);
        };
        engine::record_with("blocking::Mutex::try_lock", at, || "acquired".into());
        self.raw.check_poison(MutexGuard::new(self, hold)).map_err(TryLockError::Poisoned)
    }

    /// Whether a thread or task panicked while holding the lock.
    pub fn is_poisoned(&self) -> bool {
        self.raw.is_poisoned()
    }

    /// Forgets that the mutex was poisoned.
    pub fn clear_poison(&self) {
        self.raw.clear_poison();
    }

    /// A mutable reference to the value: `&mut self` proves nobody else holds the lock.
    /// `Err` (with the reference) if the mutex is poisoned.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let poisoned = self.raw.is_poisoned();
        super::raw::poison_result(poisoned, self.data.get_mut())
    }

    /// `lock`, with the operation's name for reports (`Condvar::wait` re-locks through it).
    pub(super) fn lock_as(
        &self,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> LockResult<MutexGuard<'_, T>> {
        let hold = self.raw.lock(Access::Exclusive, operation, at);
        self.raw.check_poison(MutexGuard::new(self, hold))
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

/// Not a scheduling point: shows the value only if the mutex is free, as std's.
impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Mutex");
        match self.raw.try_lock(Access::Exclusive, Location::caller()) {
            Some(hold) => {
                // SAFETY: the lock just taken makes this access exclusive.
                debug.field("data", &unsafe { &*self.data.get() });
                self.raw.unlock(Access::Exclusive, hold);
            }
            None => {
                debug.field("data", &format_args!("<locked>"));
            }
        }
        debug.field("poisoned", &self.raw.is_poisoned());
        debug.finish_non_exhaustive()
    }
}

/// Holds the lock of a [`Mutex`] until dropped; dropped while panicking, it poisons the mutex.
///
/// Not `Send`, as std's: it is released by the task that took it.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    mutex: &'a Mutex<T>,
    hold: Hold,
    not_send: PhantomData<*const ()>,
}

// SAFETY: a guard gives `&T` to whoever holds it, like `std::sync::MutexGuard`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(mutex: &'a Mutex<T>, hold: Hold) -> Self {
        MutexGuard { mutex, hold, not_send: PhantomData }
    }

    /// Releases the lock without poisoning and returns its mutex, for `Condvar::wait`
    /// (whose trace event says so).
    pub(super) fn unlock_for_wait(self) -> &'a Mutex<T> {
        let mutex = self.mutex;
        mutex.raw.unlock(Access::Exclusive, self.hold);
        std::mem::forget(self);
        mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's lock.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's lock.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        engine::record("blocking::Mutex::unlock", self.hold.at);
        self.mutex.raw.unlock(Access::Exclusive, self.hold);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::task::yield_now;
    use crate::{FailureKind, Scenario};

    #[test]
    fn outside_a_run_it_is_std_mutex() {
        let count = Arc::new(Mutex::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let count = count.clone();
                std::thread::spawn(move || {
                    for _ in 0..500 {
                        *count.lock().unwrap() += 1;
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|thread| thread.join().unwrap());
        assert_eq!(*count.lock().unwrap(), 2000);

        let guard = count.lock().unwrap();
        assert!(matches!(count.try_lock(), Err(TryLockError::WouldBlock)));
        assert!(format!("{count:?}").contains("<locked>"));
        drop(guard);
        assert_eq!(format!("{count:?}"), "Mutex { data: 2000, poisoned: false, .. }");
        let mut count = Arc::into_inner(count).unwrap();
        *count.get_mut().unwrap() += 1;
        assert_eq!(count.into_inner().unwrap(), 2001);
    }

    #[test]
    fn a_panic_while_holding_the_guard_poisons_it() {
        let mutex = Arc::new(Mutex::new(1));
        let thread = std::thread::spawn({
            let mutex = mutex.clone();
            move || {
                let _guard = mutex.lock().unwrap();
                panic!("boom");
            }
        });
        assert!(thread.join().is_err());
        assert!(mutex.is_poisoned());
        let guard = mutex.lock().unwrap_err().into_inner();
        assert_eq!(*guard, 1);
        drop(guard);
        assert!(matches!(mutex.try_lock(), Err(TryLockError::Poisoned(_))));
        mutex.clear_poison();
        assert!(mutex.lock().is_ok());
        assert!(Arc::into_inner(mutex).unwrap().into_inner().is_ok());
    }

    #[test]
    fn re_locking_outside_a_run_panics_instead_of_hanging() {
        let mutex = Mutex::new(());
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = mutex.lock().unwrap();
            let _again = mutex.lock();
        }))
        .unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains("already holds this blocking::Mutex"), "{message}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn works_in_tasks_on_a_tokio_runtime() {
        let count = Arc::new(Mutex::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let count = count.clone();
                crate::spawn(async move {
                    for _ in 0..100 {
                        *count.lock().unwrap() += 1;
                        yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*count.lock().unwrap(), 800);
    }

    /// Whether shuttle may run the task of engine key `key` now.
    fn runnable(key: usize) -> bool {
        use shuttle_engine::runtime::execution::ExecutionState;
        ExecutionState::with(|state| state.get(key.into()).runnable())
    }

    #[test]
    fn the_tasks_a_release_woke_that_lose_the_lock_sleep_again_without_a_step() {
        let report = Scenario::new("blocking::mutex::losers_sleep").iterations(100).run(|| async {
            let lock = Arc::new(Mutex::new(()));
            let waiters = Arc::new(std::sync::Mutex::new(Vec::new()));
            let held = lock.lock().unwrap();
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let (lock, waiters) = (lock.clone(), waiters.clone());
                    crate::spawn(async move {
                        let me = engine::current_task_key().expect("a task of the execution");
                        waiters.lock().unwrap().push(me);
                        let _held = lock.lock().unwrap();
                        // Whoever took the lock after a release, the others it woke sleep.
                        let others = waiters.lock().unwrap().clone();
                        for other in others.into_iter().filter(|other| *other != me) {
                            assert!(!runnable(other), "task {other} runs though the lock is taken");
                        }
                        waiters.lock().unwrap().retain(|waiter| *waiter != me);
                    })
                })
                .collect();
            // Until the three wait for the lock: the body yields, on purpose.
            while waiters.lock().unwrap().len() < 3 || waiters.lock().unwrap().iter().any(|key| runnable(*key)) {
                engine::request_yield();
                engine::preemption_point();
            }
            drop(held);
            for task in tasks {
                task.await.unwrap();
            }
        });
        assert!(report.failure().is_none(), "{report}");
    }

    #[test]
    fn tasks_taking_turns_pass() {
        let report = Scenario::new("blocking::mutex::turns").iterations(200).run(|| async {
            let count = Arc::new(Mutex::new(0));
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let count = count.clone();
                    crate::spawn(async move {
                        *count.lock().unwrap() += 1;
                    })
                })
                .collect();
            // The others may run while the body holds the lock: they block meanwhile, no more.
            {
                let mut held = count.lock().unwrap();
                crate::engine::preemption_point();
                *held += 10;
            }
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(*count.lock().unwrap(), 10 + 3);
        });
        assert!(report.failure().is_none(), "{report}");
    }

    #[test]
    fn locks_taken_in_opposite_orders_deadlock() {
        let report = Scenario::new("blocking::mutex::abba").iterations(200).run(|| async {
            let a = Arc::new(Mutex::new(()));
            let b = Arc::new(Mutex::new(()));
            let task = crate::spawn({
                let (a, b) = (a.clone(), b.clone());
                async move {
                    let _b = b.lock().unwrap();
                    let _a = a.lock().unwrap();
                }
            });
            {
                // `lock` is a scheduling point: the task may take `b` in between.
                let _a = a.lock().unwrap();
                let _b = b.lock().unwrap();
            }
            task.await.unwrap();
        });
        println!("{report}");
        let failure = report.failure().expect("some interleaving deadlocks");
        assert_eq!(failure.kind(), FailureKind::Deadlock);
        let blocked: Vec<_> = failure.details().iter().filter(|line| line.contains("blocking::Mutex::lock")).collect();
        assert_eq!(blocked.len(), 2, "{report}");
    }

    #[test]
    fn re_locking_a_mutex_the_task_holds_is_a_deadlock() {
        let report = Scenario::new("blocking::mutex::relock").iterations(50).run(|| async {
            let m = Arc::new(Mutex::new(0));
            let task = crate::spawn({
                let m = m.clone();
                async move {
                    let held = m.lock().unwrap();
                    let again = *m.lock().unwrap();
                    drop(held);
                    again
                }
            });
            task.await.unwrap();
        });
        println!("{report}");
        let failure = report.failure().expect("the re-lock is found");
        assert_eq!(failure.kind(), FailureKind::Deadlock);
        assert!(failure.message().contains("re-locked a blocking::Mutex it already holds"), "{report}");
        assert_eq!(failure.task().map(|task| task.id), Some(1));
        assert_eq!(report.failing_execution(), Some(1), "every execution re-locks");
        assert_eq!(report.failures().len(), 1, "the task goes no further than its re-lock: {report}");
    }

    #[test]
    fn a_task_panicking_with_the_lock_poisons_it_for_the_others() {
        let report = Scenario::new("blocking::mutex::poison").iterations(50).run(|| async {
            let m = Arc::new(Mutex::new(0));
            let task = crate::spawn({
                let m = m.clone();
                async move {
                    let _held = m.lock().unwrap();
                    panic!("boom");
                }
            });
            assert!(task.await.unwrap_err().is_panic());
            assert!(m.lock().is_err());
        });
        assert!(report.failure().is_none(), "{report}");
    }
}

//! `RwLock`: std's blocking reader-writer lock, whose every `read` and `write` is explored.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::{LockResult, TryLockError, TryLockResult};

use super::raw::{Access, Hold, RawLock};
use crate::engine;

/// A blocking reader-writer lock, as `std::sync::RwLock`: many readers or one writer,
/// blocking the whole task while it waits; a write guard dropped while its thread
/// panics poisons the lock.
///
/// Writers are preferred, as by std's: while a writer waits, new readers wait too, so
/// a task that reads twice while a writer queues in between deadlocks, as with std.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::blocking::RwLock;
/// use std::sync::Arc;
///
/// let config = Arc::new(RwLock::new(String::from("v1")));
/// let writer = racewright::spawn({
///     let config = config.clone();
///     async move { *config.write().unwrap() = String::from("v2") }
/// });
/// let seen = config.read().unwrap().clone();
/// assert!(seen == "v1" || seen == "v2");
/// writer.await.unwrap();
/// assert_eq!(*config.read().unwrap(), "v2");
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    raw: RawLock,
    data: UnsafeCell<T>,
}

// SAFETY: as for `std::sync::RwLock`: the value moves with the lock.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: readers share `&T` across tasks (so `T: Sync`), a writer gets `&mut T` (so `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// As std's: a panic while the lock is held poisons it, which the next holder is told.
impl<T: ?Sized> std::panic::UnwindSafe for RwLock<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock. Not `const`, unlike std's: it records where it was
    /// created, to name it in reports.
    #[track_caller]
    pub fn new(value: T) -> Self {
        RwLock { raw: RawLock::new("blocking::RwLock", Location::caller()), data: UnsafeCell::new(value) }
    }

    /// The protected value, consuming the lock; `Err` (with the value) if it is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        let poisoned = self.raw.is_poisoned();
        super::raw::poison_result(poisoned, self.data.into_inner())
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Takes a shared lock, blocking the task while a writer holds the lock or waits for it.
    ///
    /// `Err` (still holding the lock) if it is poisoned. Reading while the task holds
    /// the write lock is a deadlock: inside an exploration, the finding; outside of
    /// one, a panic.
    #[track_caller]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let hold = self.raw.lock(Access::Shared, "blocking::RwLock::read", Location::caller());
        self.raw.check_poison(RwLockReadGuard { lock: self, hold, not_send: PhantomData })
    }

    /// Takes the exclusive lock, blocking the task while anyone else holds it.
    ///
    /// `Err` (still holding the lock) if it is poisoned. Writing while the task holds
    /// the lock, to read or to write, is a deadlock: inside an exploration, the
    /// finding; outside of one, a panic.
    #[track_caller]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let hold = self.raw.lock(Access::Exclusive, "blocking::RwLock::write", Location::caller());
        self.raw.check_poison(RwLockWriteGuard { lock: self, hold, not_send: PhantomData })
    }

    /// Takes a shared lock if no writer holds it or waits for it, without blocking.
    #[track_caller]
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        let hold = self.try_lock(Access::Shared, "blocking::RwLock::try_read", Location::caller())?;
        self.raw
            .check_poison(RwLockReadGuard { lock: self, hold, not_send: PhantomData })
            .map_err(TryLockError::Poisoned)
    }

    /// Takes the exclusive lock if nobody holds it, without blocking.
    #[track_caller]
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        let hold = self.try_lock(Access::Exclusive, "blocking::RwLock::try_write", Location::caller())?;
        self.raw
            .check_poison(RwLockWriteGuard { lock: self, hold, not_send: PhantomData })
            .map_err(TryLockError::Poisoned)
    }

    /// Whether a thread or task panicked while holding the write lock.
    pub fn is_poisoned(&self) -> bool {
        self.raw.is_poisoned()
    }

    /// Forgets that the lock was poisoned.
    pub fn clear_poison(&self) {
        self.raw.clear_poison();
    }

    /// A mutable reference to the value: `&mut self` proves nobody else holds the lock.
    /// `Err` (with the reference) if the lock is poisoned.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let poisoned = self.raw.is_poisoned();
        super::raw::poison_result(poisoned, self.data.get_mut())
    }

    fn try_lock<G>(
        &self,
        access: Access,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<Hold, TryLockError<G>> {
        engine::preemption_point();
        let hold = self.raw.try_lock(access, at);
        engine::record_with(operation, at, || if hold.is_some() { "acquired" } else { "would block" }.into());
        hold.ok_or(TryLockError::WouldBlock)
    }
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

/// Not a scheduling point: shows the value only if no writer holds the lock, as std's.
impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RwLock");
        match self.raw.try_lock(Access::Shared, Location::caller()) {
            Some(hold) => {
                // SAFETY: the shared lock just taken keeps writers out.
                debug.field("data", &unsafe { &*self.data.get() });
                self.raw.unlock(Access::Shared, hold);
            }
            None => {
                debug.field("data", &format_args!("<locked>"));
            }
        }
        debug.field("poisoned", &self.raw.is_poisoned());
        debug.finish_non_exhaustive()
    }
}

/// A shared lock of an [`RwLock`], held until dropped. Not `Send`, as std's.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized + 'a> {
    lock: &'a RwLock<T>,
    hold: Hold,
    not_send: PhantomData<*const ()>,
}

// SAFETY: a guard gives `&T` to whoever holds it, like std's.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds a shared lock: no writer until it is dropped.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        engine::record("blocking::RwLock::unlock_read", self.hold.at);
        self.lock.raw.unlock(Access::Shared, self.hold);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// The exclusive lock of an [`RwLock`], held until dropped; dropped while panicking, it
/// poisons the lock. Not `Send`, as std's.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized + 'a> {
    lock: &'a RwLock<T>,
    hold: Hold,
    not_send: PhantomData<*const ()>,
}

// SAFETY: a guard gives `&T` to whoever holds it, like std's.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the exclusive lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the exclusive lock.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        engine::record("blocking::RwLock::unlock_write", self.hold.at);
        self.lock.raw.unlock(Access::Exclusive, self.hold);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{FailureKind, Scenario};

    #[test]
    fn outside_a_run_it_is_std_rwlock() {
        let lock = Arc::new(RwLock::new(vec![1]));
        let first = lock.read().unwrap();
        let second = lock.try_read().unwrap();
        assert_eq!(first.len() + second.len(), 2);
        assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
        assert!(format!("{lock:?}").contains("data: [1]"));
        drop((first, second));

        let writers: Vec<_> = (0..4)
            .map(|i| {
                let lock = lock.clone();
                std::thread::spawn(move || lock.write().unwrap().push(i))
            })
            .collect();
        writers.into_iter().for_each(|thread| thread.join().unwrap());
        assert_eq!(lock.read().unwrap().len(), 5);

        let write = lock.write().unwrap();
        assert!(matches!(lock.try_read(), Err(TryLockError::WouldBlock)));
        assert_eq!(format!("{lock:?}"), "RwLock { data: <locked>, poisoned: false, .. }");
        drop(write);
        let mut lock = Arc::into_inner(lock).unwrap();
        lock.get_mut().unwrap().clear();
        assert!(lock.into_inner().unwrap().is_empty());
    }

    #[test]
    fn only_a_panicking_writer_poisons_it() {
        let lock = Arc::new(RwLock::new(0));
        let reader = std::thread::spawn({
            let lock = lock.clone();
            move || {
                let _read = lock.read().unwrap();
                panic!("reader");
            }
        });
        assert!(reader.join().is_err());
        assert!(!lock.is_poisoned());
        let writer = std::thread::spawn({
            let lock = lock.clone();
            move || {
                let _write = lock.write().unwrap();
                panic!("writer");
            }
        });
        assert!(writer.join().is_err());
        assert!(lock.is_poisoned());
        assert!(lock.read().is_err());
        lock.clear_poison();
        assert!(lock.write().is_ok());
    }

    #[test]
    fn readers_and_a_writer_pass() {
        let report = Scenario::new("blocking::rwlock::readers_writer").iterations(200).run(|| async {
            let lock = Arc::new(RwLock::new((0, 0)));
            let writer = crate::spawn({
                let lock = lock.clone();
                async move {
                    let mut pair = lock.write().unwrap();
                    pair.0 += 1;
                    pair.1 += 1;
                }
            });
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let lock = lock.clone();
                    crate::spawn(async move {
                        let pair = lock.read().unwrap();
                        assert_eq!(pair.0, pair.1, "a reader saw half a write");
                    })
                })
                .collect();
            writer.await.unwrap();
            for reader in readers {
                reader.await.unwrap();
            }
            assert_eq!(*lock.read().unwrap(), (1, 1));
        });
        assert!(report.failure().is_none(), "{report}");
    }

    #[test]
    fn writing_while_reading_in_the_same_task_is_a_deadlock() {
        let report = Scenario::new("blocking::rwlock::upgrade").iterations(50).run(|| async {
            let lock = RwLock::new(0);
            let read = lock.read().unwrap();
            if *read == 0 {
                *lock.write().unwrap() += 1;
            }
        });
        let failure = report.failure().expect("the upgrade is found");
        assert_eq!(failure.kind(), FailureKind::Deadlock, "{report}");
        assert!(failure.message().contains("re-locked a blocking::RwLock"), "{report}");
    }

    #[test]
    fn reading_twice_deadlocks_when_a_writer_queues_in_between() {
        let report = Scenario::new("blocking::rwlock::recursive_read").iterations(200).run(|| async {
            let lock = Arc::new(RwLock::new(0));
            let first = lock.read().unwrap();
            let writer = crate::spawn({
                let lock = lock.clone();
                async move { *lock.write().unwrap() += 1 }
            });
            // `read` is a scheduling point: the writer may queue first.
            let second = lock.read().unwrap();
            assert_eq!(*first, *second);
            drop((first, second));
            writer.await.unwrap();
        });
        println!("{report}");
        let failure = report.failure().expect("some interleaving queues the writer first");
        assert_eq!(failure.kind(), FailureKind::Deadlock);
        assert!(failure.details().iter().any(|line| line.contains("blocking::RwLock::write")), "{report}");
        assert!(failure.details().iter().any(|line| line.contains("blocking::RwLock::read")), "{report}");
    }
}

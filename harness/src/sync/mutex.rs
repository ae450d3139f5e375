//! `Mutex`: an async, fair mutex with tokio's API, whose every `lock` is explored.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::Arc;

use super::permits::Permits;
use crate::engine;

/// An asynchronous mutex, as `tokio::sync::Mutex`: waiters are served in FIFO order,
/// and a guard may be held across an `.await`.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::Mutex;
/// use std::sync::Arc;
///
/// let count = Arc::new(Mutex::new(0));
/// let task = racewright::spawn({
///     let count = count.clone();
///     async move { *count.lock().await += 1 }
/// });
/// *count.lock().await += 1;
/// task.await.unwrap();
/// assert_eq!(*count.lock().await, 2);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    permits: Permits,
    data: UnsafeCell<T>,
}

// SAFETY: the permit makes access to `data` exclusive, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// `try_lock` found the mutex locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex.
    #[track_caller]
    pub fn new(value: T) -> Self {
        Mutex { permits: Permits::new(1, "Mutex", Location::caller()), data: UnsafeCell::new(value) }
    }

    /// A new, unlocked mutex, in a `const` context (a `static`), as tokio's.
    ///
    /// A `static` outlives the executions of a run: what one execution leaves in it (a
    /// value, a lock never released because the execution was cut short) the next one
    /// finds. On loom it is modelled in each execution that uses it.
    #[track_caller]
    pub const fn const_new(value: T) -> Self {
        Mutex { permits: Permits::const_new(1, false, "Mutex", Location::caller()), data: UnsafeCell::new(value) }
    }

    /// The protected value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting for it as long as another task holds it.
    ///
    /// Cancel safe: dropping the future gives up the place in the queue.
    #[track_caller]
    pub fn lock(&self) -> impl Future<Output = MutexGuard<'_, T>> {
        let at = Location::caller();
        async move {
            self.permits.acquire_lock(1, "Mutex::lock", at).await;
            MutexGuard { mutex: self, at }
        }
    }

    /// Locks the mutex from synchronous code, blocking the thread (inside a run, the
    /// blocking task), as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        engine::block_on(self.lock())
    }

    /// Like [`blocking_lock`](Mutex::blocking_lock), returning a guard that owns the `Arc`.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        engine::block_on(self.lock_owned())
    }

    /// Locks the mutex if it is free, without waiting.
    #[track_caller]
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        let at = Location::caller();
        if self.permits.try_acquire_lock(1, "Mutex::try_lock", at) {
            Ok(MutexGuard { mutex: self, at })
        } else {
            Err(TryLockError(()))
        }
    }

    /// A mutable reference to the value: `&mut self` proves nobody else holds the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Locks an `Arc`'d mutex, returning a guard that owns the `Arc`.
    #[track_caller]
    pub fn lock_owned(self: Arc<Self>) -> impl Future<Output = OwnedMutexGuard<T>> {
        let at = Location::caller();
        async move {
            self.permits.acquire_lock(1, "Mutex::lock_owned", at).await;
            OwnedMutexGuard { mutex: self, at }
        }
    }

    /// Locks an `Arc`'d mutex if it is free, returning a guard that owns the `Arc`.
    #[track_caller]
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        let at = Location::caller();
        if self.permits.try_acquire_lock(1, "Mutex::try_lock_owned", at) {
            Ok(OwnedMutexGuard { mutex: self, at })
        } else {
            Err(TryLockError(()))
        }
    }

    fn unlock(&self, at: &'static Location<'static>) {
        self.permits.release_lock(1, "Mutex::unlock", None, at);
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

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.permits.debug_data(f, "Mutex", self.data.get())
    }
}

/// Holds the lock of a [`Mutex`] until dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Where the lock was taken.
    at: &'static Location<'static>,
}

// SAFETY: a guard gives `&T` to whoever holds it, like `std::sync::MutexGuard`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock(self.at);
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

/// A [`MutexGuard`] that owns an `Arc` of its mutex, so it can move into a task.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    at: &'static Location<'static>,
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.unlock(self.at);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Mutex;
    use crate::sync::Notify;

    static COUNT: Mutex<u32> = Mutex::const_new(0);
    static READY: Notify = Notify::const_new();

    #[test]
    fn static_primitives_made_by_const_new_work_in_every_interleaving() {
        crate::check(|| async {
            *COUNT.lock().await = 0;
            let task = crate::spawn(async {
                *COUNT.lock().await += 1;
                READY.notify_one();
            });
            READY.notified().await;
            assert_eq!(*COUNT.lock().await, 1);
            task.await.unwrap();
        });
    }

    #[test]
    fn blocking_lock_owned_in_a_blocking_task() {
        crate::check(|| async {
            let mutex = Arc::new(Mutex::new(1));
            let held = mutex.clone().lock_owned().await;
            let blocked = crate::task::spawn_blocking({
                let mutex = mutex.clone();
                move || *mutex.blocking_lock_owned() + 1
            });
            drop(held);
            assert_eq!(blocked.await.unwrap(), 2);
        });
    }

    #[test]
    fn const_new_primitives_are_modelled_on_loom() {
        static SHARED: Mutex<u32> = Mutex::const_new(0);
        // A lost update through a static mutex: loom must see both orders of the two locks.
        let report = crate::Scenario::new("mutex::const_new_on_loom").engine(crate::EngineChoice::Loom).run(|| async {
            *SHARED.lock().await = 0;
            let task = crate::spawn(async {
                let seen = *SHARED.lock().await;
                *SHARED.lock().await = seen + 1;
            });
            let seen = *SHARED.lock().await;
            *SHARED.lock().await = seen + 1;
            task.await.unwrap();
            assert_eq!(*SHARED.lock().await, 2);
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(crate::FailureKind::Panic), "{report}");
    }
}

//! `Mutex`: an async, fair mutex with tokio's API, whose every `lock` is explored.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
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

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// A guard on a part of the locked value (`f` picks it), which keeps the lock, as tokio's.
    pub fn map<U: ?Sized, F: FnOnce(&mut T) -> &mut U>(mut this: Self, f: F) -> MappedMutexGuard<'a, U> {
        let data: *mut U = f(&mut *this);
        let this = std::mem::ManuallyDrop::new(this);
        MappedMutexGuard { permits: &this.mutex.permits, data, at: this.at, marker: PhantomData }
    }

    /// Like [`map`](MutexGuard::map), when `f` may find no such part: then gives the guard back.
    pub fn try_map<U: ?Sized, F: FnOnce(&mut T) -> Option<&mut U>>(
        mut this: Self,
        f: F,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        let Some(data) = f(&mut *this).map(|part| part as *mut U) else { return Err(this) };
        let this = std::mem::ManuallyDrop::new(this);
        Ok(MappedMutexGuard { permits: &this.mutex.permits, data, at: this.at, marker: PhantomData })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

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
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    at: &'static Location<'static>,
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }

    /// A guard on a part of the locked value (`f` picks it), which keeps the lock and the
    /// `Arc`, as tokio's.
    pub fn map<U: ?Sized, F: FnOnce(&mut T) -> &mut U>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U> {
        let data: *mut U = f(&mut *this);
        let (mutex, at) = this.into_parts();
        OwnedMappedMutexGuard { mutex, data, at }
    }

    /// Like [`map`](OwnedMutexGuard::map), when `f` may find no such part: then gives the guard back.
    pub fn try_map<U: ?Sized, F: FnOnce(&mut T) -> Option<&mut U>>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedMappedMutexGuard<T, U>, Self> {
        let Some(data) = f(&mut *this).map(|part| part as *mut U) else { return Err(this) };
        let (mutex, at) = this.into_parts();
        Ok(OwnedMappedMutexGuard { mutex, data, at })
    }

    /// The mutex and where it was locked, the lock kept (the caller releases it).
    fn into_parts(self) -> (Arc<Mutex<T>>, &'static Location<'static>) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves out once.
        (unsafe { std::ptr::read(&this.mutex) }, this.at)
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

/// A guard on a part of a [`Mutex`]'s value, from [`MutexGuard::map`]; it keeps the lock
/// until dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    permits: &'a Permits,
    /// Valid for reads and writes while the guard holds the lock.
    data: *mut T,
    at: &'static Location<'static>,
    marker: PhantomData<&'a mut T>,
}

// SAFETY: as `MutexGuard`: the guard gives `&mut T` to one holder at a time.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: see above; sharing it shares `&T`.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// A guard on a part of this part, as [`MutexGuard::map`].
    pub fn map<U: ?Sized, F: FnOnce(&mut T) -> &mut U>(mut this: Self, f: F) -> MappedMutexGuard<'a, U> {
        let data: *mut U = f(&mut *this);
        let this = std::mem::ManuallyDrop::new(this);
        MappedMutexGuard { permits: this.permits, data, at: this.at, marker: PhantomData }
    }

    /// Like [`map`](MappedMutexGuard::map), when `f` may find no such part.
    pub fn try_map<U: ?Sized, F: FnOnce(&mut T) -> Option<&mut U>>(
        mut this: Self,
        f: F,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        let Some(data) = f(&mut *this).map(|part| part as *mut U) else { return Err(this) };
        let this = std::mem::ManuallyDrop::new(this);
        Ok(MappedMutexGuard { permits: this.permits, data, at: this.at, marker: PhantomData })
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.permits.release_lock(1, "Mutex::unlock", None, self.at);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A guard on a part of an `Arc`'d [`Mutex`]'s value, from [`OwnedMutexGuard::map`]; it
/// keeps the lock and the `Arc` until dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    mutex: Arc<Mutex<T>>,
    /// Valid for reads and writes while the guard holds the lock.
    data: *mut U,
    at: &'static Location<'static>,
}

// SAFETY: as `OwnedMutexGuard`: the mutex's value moves with it, the part is handed out alone.
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: see above; sharing it shares `&U`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// A guard on a part of this part, as [`OwnedMutexGuard::map`].
    pub fn map<V: ?Sized, F: FnOnce(&mut U) -> &mut V>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, V> {
        let data: *mut V = f(&mut *this);
        let (mutex, at) = this.into_parts();
        OwnedMappedMutexGuard { mutex, data, at }
    }

    /// Like [`map`](OwnedMappedMutexGuard::map), when `f` may find no such part.
    pub fn try_map<V: ?Sized, F: FnOnce(&mut U) -> Option<&mut V>>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedMappedMutexGuard<T, V>, Self> {
        let Some(data) = f(&mut *this).map(|part| part as *mut V) else { return Err(this) };
        let (mutex, at) = this.into_parts();
        Ok(OwnedMappedMutexGuard { mutex, data, at })
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.mutex
    }

    fn into_parts(self) -> (Arc<Mutex<T>>, &'static Location<'static>) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves out once.
        (unsafe { std::ptr::read(&this.mutex) }, this.at)
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.mutex.unlock(self.at);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Mutex, MutexGuard, OwnedMutexGuard};
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
    fn mapped_guards_keep_the_lock_until_dropped() {
        let mutex = Mutex::new((1, String::from("a")));
        let mut name = MutexGuard::map(mutex.try_lock().unwrap(), |(_, name)| name);
        name.push('b');
        assert!(mutex.try_lock().is_err());
        drop(name);
        let guard = mutex.try_lock().unwrap();
        let guard = MutexGuard::try_map(guard, |_| None::<&mut u8>).expect_err("nothing to map to");
        assert!(std::ptr::eq(MutexGuard::mutex(&guard), &mutex));
        drop(guard);
        let shared = Arc::new(Mutex::new(vec![1, 2]));
        let mut first = OwnedMutexGuard::map(shared.clone().try_lock_owned().unwrap(), |items| &mut items[0]);
        *first += 10;
        assert!(shared.try_lock().is_err());
        drop(first);
        assert_eq!(*shared.try_lock().unwrap(), [11, 2]);
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

    // tokio's `OwnedMutexGuard` (and its owned and mapped `RwLock` guards) are not
    // `#[must_use]`: code that drops one at once compiles without a warning there, and here.
    #[tokio::test]
    #[deny(unused_must_use)]
    async fn the_guards_tokio_lets_go_unused_may_be_let_go() {
        let mutex = Arc::new(Mutex::new(()));
        mutex.clone().lock_owned().await;
        let lock = Arc::new(crate::sync::RwLock::new(()));
        lock.clone().read_owned().await;
        lock.clone().write_owned().await;
        crate::sync::RwLockWriteGuard::map(lock.write().await, |value| value);
        crate::sync::OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |value| value);
    }

    // After tokio's `mutex_fifo_with_coop_budget`: a task out of budget still takes its
    // place in the queue (and the lock, when it comes), then yields; the one after it waits.
    #[tokio::test]
    async fn a_task_out_of_budget_keeps_its_place_in_the_lock_queue() {
        use futures::FutureExt;
        use tokio_test::{assert_pending, assert_ready, task};

        let mutex = Arc::new(Mutex::new(()));
        let held = assert_ready!(task::spawn(mutex.clone().lock_owned()).poll());
        let first = mutex.clone();
        let mut out_of_budget = task::spawn(async move {
            while crate::task::consume_budget().now_or_never().is_some() {}
            first.lock_owned().await
        });
        assert_pending!(out_of_budget.poll());
        let mut second = task::spawn(mutex.clone().lock_owned());
        assert_pending!(second.poll());
        drop(held);
        assert!(out_of_budget.is_woken(), "the lock went to the first in the queue");
        assert!(!second.is_woken());
        // Dropped while it holds the lock it could not hand out yet: the lock is free again.
        drop(out_of_budget);
        assert!(second.is_woken());
    }

    // After tokio's `mutex_coop_drop_after_take_permit`: a free lock is taken by a task out
    // of budget, which yields before it can hand it out; dropped then, it gives it back.
    #[tokio::test]
    async fn a_lock_taken_by_a_task_out_of_budget_is_given_back_if_it_is_dropped() {
        use futures::FutureExt;
        use tokio_test::{assert_pending, task};

        let mutex = Arc::new(Mutex::new(()));
        let taker = mutex.clone();
        let mut taking = task::spawn(async move {
            while crate::task::consume_budget().now_or_never().is_some() {}
            taker.lock_owned().await
        });
        assert_pending!(taking.poll());
        assert!(mutex.try_lock().is_err(), "taken, not handed out yet");
        drop(taking);
        assert!(mutex.try_lock().is_ok());
    }
}

//! `RwLock`: an async, fair reader-writer lock with tokio's API, whose every lock is explored.
//!
//! Built as tokio builds it: a fair permit queue with `max_readers` permits, of which a
//! reader takes one and a writer takes all.

mod guards;
mod owned;

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

pub use guards::{RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use owned::{OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

use super::mutex::TryLockError;
use super::permits::Permits;

/// The most readers an `RwLock` admits at once, as tokio's.
const MAX_READS: u32 = u32::MAX >> 3;

/// An asynchronous reader-writer lock, as `tokio::sync::RwLock`: many readers or one
/// writer, served in FIFO order, so a queued writer holds back the readers that come after it.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::RwLock;
/// use std::sync::Arc;
///
/// let config = Arc::new(RwLock::new(1));
/// let writer = racewright::spawn({
///     let config = config.clone();
///     async move { *config.write().await += 1 }
/// });
/// let seen = *config.read().await;
/// assert!(seen == 1 || seen == 2);
/// writer.await.unwrap();
/// assert_eq!(*config.read().await, 2);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    /// Readers admitted at once; a writer takes all of these permits.
    max_readers: u32,
    permits: Permits,
    data: UnsafeCell<T>,
}

// SAFETY: the permits make access to `data` shared-read or exclusive, as for `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: see above; readers on several threads share `&T`, hence `T: Sync`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock.
    #[track_caller]
    pub fn new(value: T) -> Self {
        RwLock::with_max_readers_at(value, MAX_READS, Location::caller())
    }

    /// A new, unlocked lock that admits at most `max_reads` readers at once.
    ///
    /// Panics if `max_reads` is 0 or exceeds `u32::MAX >> 3`, as tokio's.
    #[track_caller]
    pub fn with_max_readers(value: T, max_reads: u32) -> Self {
        assert_ne!(max_reads, 0, "a RwLock may not be created with 0 readers");
        assert!(max_reads <= MAX_READS, "a RwLock may not be created with more than {MAX_READS} readers");
        RwLock::with_max_readers_at(value, max_reads, Location::caller())
    }

    /// A new, unlocked lock, in a `const` context (a `static`), as tokio's. See
    /// [`Mutex::const_new`](crate::sync::Mutex::const_new) on statics.
    #[track_caller]
    pub const fn const_new(value: T) -> Self {
        RwLock::const_with_max_readers(value, MAX_READS)
    }

    /// [`with_max_readers`](RwLock::with_max_readers) in a `const` context, as tokio's.
    ///
    /// Panics (at compile time in a `static`) if `max_reads` is 0 or exceeds `u32::MAX >> 3`.
    #[track_caller]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> Self {
        assert!(max_reads != 0, "a RwLock may not be created with 0 readers");
        assert!(max_reads <= MAX_READS, "a RwLock may not be created with more than u32::MAX >> 3 readers");
        RwLock {
            max_readers: max_reads,
            permits: Permits::const_new(max_reads as usize, false, "RwLock", Location::caller()),
            data: UnsafeCell::new(value),
        }
    }

    fn with_max_readers_at(value: T, max_readers: u32, at: &'static Location<'static>) -> Self {
        RwLock { max_readers, permits: Permits::new(max_readers as usize, "RwLock", at), data: UnsafeCell::new(value) }
    }

    /// The protected value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading, waiting while a writer holds the lock or queues before us.
    ///
    /// Cancel safe: dropping the future gives up the place in the queue.
    #[track_caller]
    pub fn read(&self) -> impl Future<Output = RwLockReadGuard<'_, T>> {
        let at = Location::caller();
        async move {
            self.acquire(1, "RwLock::read", at).await;
            RwLockReadGuard::new(&self.permits, self.data.get(), at)
        }
    }

    /// Locks for reading if no writer holds the lock or queues for it.
    #[track_caller]
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        let at = Location::caller();
        self.try_acquire(1, "RwLock::try_read", at)?;
        Ok(RwLockReadGuard::new(&self.permits, self.data.get(), at))
    }

    /// Locks for writing, waiting until no reader or writer holds the lock or queues before us.
    ///
    /// Cancel safe: dropping the future gives up the place in the queue.
    #[track_caller]
    pub fn write(&self) -> impl Future<Output = RwLockWriteGuard<'_, T>> {
        let at = Location::caller();
        async move {
            self.acquire(self.max_readers, "RwLock::write", at).await;
            RwLockWriteGuard::new(&self.permits, self.max_readers, self.data.get(), at)
        }
    }

    /// Locks for writing if nobody holds the lock or queues for it.
    #[track_caller]
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        let at = Location::caller();
        self.try_acquire(self.max_readers, "RwLock::try_write", at)?;
        Ok(RwLockWriteGuard::new(&self.permits, self.max_readers, self.data.get(), at))
    }

    /// Locks for reading from synchronous code, blocking the thread (inside a run, the
    /// blocking task), as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::engine::block_on(self.read())
    }

    /// Locks for writing from synchronous code, as [`blocking_read`](RwLock::blocking_read).
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::engine::block_on(self.write())
    }

    /// Like [`read`](RwLock::read), for an `Arc`'d lock: the guard owns the `Arc`.
    #[track_caller]
    pub fn read_owned(self: Arc<Self>) -> impl Future<Output = OwnedRwLockReadGuard<T>> {
        let at = Location::caller();
        async move {
            self.acquire(1, "RwLock::read_owned", at).await;
            OwnedRwLockReadGuard::new(self, at)
        }
    }

    /// Like [`try_read`](RwLock::try_read), for an `Arc`'d lock: the guard owns the `Arc`.
    #[track_caller]
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        let at = Location::caller();
        self.try_acquire(1, "RwLock::try_read_owned", at)?;
        Ok(OwnedRwLockReadGuard::new(self, at))
    }

    /// Like [`write`](RwLock::write), for an `Arc`'d lock: the guard owns the `Arc`.
    #[track_caller]
    pub fn write_owned(self: Arc<Self>) -> impl Future<Output = OwnedRwLockWriteGuard<T>> {
        let at = Location::caller();
        async move {
            self.acquire(self.max_readers, "RwLock::write_owned", at).await;
            OwnedRwLockWriteGuard::new(self, at)
        }
    }

    /// Like [`try_write`](RwLock::try_write), for an `Arc`'d lock: the guard owns the `Arc`.
    #[track_caller]
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        let at = Location::caller();
        self.try_acquire(self.max_readers, "RwLock::try_write_owned", at)?;
        Ok(OwnedRwLockWriteGuard::new(self, at))
    }

    /// A mutable reference to the value: `&mut self` proves nobody else holds the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    async fn acquire(&self, permits: u32, operation: &'static str, at: &'static Location<'static>) {
        self.permits.acquire_lock(permits as usize, operation, at).await;
    }

    fn try_acquire(
        &self,
        permits: u32,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<(), TryLockError> {
        if self.permits.try_acquire_lock(permits as usize, operation, at) { Ok(()) } else { Err(TryLockError(())) }
    }
}

/// Gives back a guard's permits. `what` is `read` or `write`, for the trace.
fn unlock(permits: &Permits, held: u32, what: &'static str, at: &'static Location<'static>) {
    permits.release_lock(held as usize, "RwLock::unlock", Some(what), at);
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

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.permits.debug_data(f, "RwLock", self.data.get())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio_test::{assert_pending, assert_ready, task};

    use super::{OwnedRwLockWriteGuard, RwLock, RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
    use crate::{FailureKind, Scenario};

    #[test]
    #[should_panic(expected = "a RwLock may not be created with 0 readers")]
    fn zero_readers_panics_as_tokio() {
        let _ = RwLock::with_max_readers((), 0);
    }

    #[test]
    fn downgrade_map_keeps_writers_out_and_reads_a_part() {
        let lock = RwLock::new((1, String::from("a")));
        let mut writing = lock.try_write().unwrap();
        writing.1.push('b');
        let name = RwLockWriteGuard::downgrade_map(writing, |(_, name)| name);
        assert_eq!(*name, "ab");
        assert!(lock.try_write().is_err(), "still read-locked");
        assert!(lock.try_read().is_ok(), "other readers may come in");
        drop(name);
        let writing = lock.try_write().unwrap();
        let writing = RwLockWriteGuard::try_downgrade_map(writing, |_| None::<&u8>).expect_err("nothing to map to");
        let first = RwLockWriteGuard::try_downgrade_map(writing, |(first, _)| Some(first)).unwrap();
        assert_eq!(*first, 1);
    }

    #[test]
    fn mapped_write_guards_keep_writing_until_dropped() {
        let lock = RwLock::new((1, vec![1]));
        let mut items = RwLockWriteGuard::map(lock.try_write().unwrap(), |(_, items)| items);
        items.push(2);
        let mut first = RwLockMappedWriteGuard::map(items, |items| &mut items[0]);
        *first = 10;
        assert!(lock.try_read().is_err());
        drop(first);
        assert_eq!(lock.try_read().unwrap().1, [10, 2]);
        let whole = RwLockWriteGuard::into_mapped(lock.try_write().unwrap());
        assert!(RwLockMappedWriteGuard::try_map(whole, |_| None::<&mut u8>).is_err());
        let shared = Arc::new(RwLock::new(String::from("a")));
        let mut owned = OwnedRwLockWriteGuard::map(shared.clone().try_write_owned().unwrap(), String::as_mut_str);
        owned.make_ascii_uppercase();
        assert!(shared.try_read().is_err());
        drop(owned);
        assert_eq!(*shared.try_read().unwrap(), "A");
    }

    static SETTINGS: RwLock<u32> = RwLock::const_new(0);
    static FEW_READERS: RwLock<()> = RwLock::const_with_max_readers((), 1);

    #[test]
    fn static_locks_and_blocking_access_from_a_blocking_task() {
        crate::check(|| async {
            let writer = crate::task::spawn_blocking(|| *SETTINGS.blocking_write() += 1);
            writer.await.unwrap();
            assert!(*SETTINGS.read().await >= 1);
            let reader = crate::task::spawn_blocking(|| *SETTINGS.blocking_read());
            assert!(reader.await.unwrap() >= 1);
            let _only = FEW_READERS.read().await;
            assert!(FEW_READERS.try_read().is_err());
        });
    }

    #[test]
    fn readers_share_and_a_writer_excludes() {
        let lock = RwLock::new(5);
        let first = lock.try_read().unwrap();
        let second = lock.try_read().unwrap();
        assert_eq!(*first + *second, 10);
        assert!(lock.try_write().is_err());
        drop((first, second));
        let mut writer = lock.try_write().unwrap();
        *writer += 1;
        assert!(lock.try_read().is_err());
        drop(writer);
        assert_eq!(lock.into_inner(), 6);
    }

    #[test]
    fn a_queued_writer_holds_back_later_readers() {
        let lock = RwLock::new(0);
        let reader = lock.try_read().unwrap();
        let mut writer = task::spawn(lock.write());
        assert_pending!(writer.poll());
        assert!(lock.try_read().is_err());
        let mut late_reader = task::spawn(lock.read());
        assert_pending!(late_reader.poll());
        drop(reader);
        assert!(writer.is_woken());
        let guard = assert_ready!(writer.poll());
        assert_pending!(late_reader.poll());
        drop(guard);
        assert!(late_reader.is_woken());
        drop(assert_ready!(late_reader.poll()));
    }

    #[test]
    fn downgrade_lets_readers_in_and_keeps_writers_out() {
        let lock = RwLock::new(1);
        let writer = lock.try_write().unwrap();
        let mut reader = task::spawn(lock.read());
        assert_pending!(reader.poll());
        let read = writer.downgrade();
        assert!(reader.is_woken());
        assert_eq!(*assert_ready!(reader.poll()), 1);
        assert!(lock.try_write().is_err());
        drop(read);
        assert!(lock.try_write().is_ok());
    }

    #[test]
    fn with_max_readers_bounds_the_readers() {
        let lock = RwLock::with_max_readers((), 2);
        let _a = lock.try_read().unwrap();
        let _b = lock.try_read().unwrap();
        assert!(lock.try_read().is_err());
    }

    #[test]
    fn a_cancelled_write_lets_the_readers_in_again() {
        let lock = RwLock::new(());
        let reader = lock.try_read().unwrap();
        let mut writer = task::spawn(lock.write());
        assert_pending!(writer.poll());
        drop(writer);
        assert!(lock.try_read().is_ok());
        drop(reader);
        assert!(lock.try_write().is_ok());
    }

    #[test]
    fn mapped_and_owned_guards_hold_the_lock() {
        let lock = Arc::new(RwLock::new((1, Some(2))));
        let first = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.0);
        assert_eq!(*first, 1);
        assert!(RwLockReadGuard::try_map(lock.try_read().unwrap(), |_| None::<&u8>).is_err());
        assert!(lock.try_write().is_err());
        drop(first);
        let mut owned = lock.clone().try_write_owned().unwrap();
        owned.0 = 3;
        let read = owned.downgrade();
        let second = super::OwnedRwLockReadGuard::try_map(read, |pair| pair.1.as_ref()).unwrap();
        assert_eq!(*second, 2);
        assert_eq!(format!("{lock:?}"), "RwLock { data: (3, Some(2)) }");
        assert!(lock.try_write().is_err());
        drop(second);
        assert_eq!(*lock.try_read().unwrap(), (3, Some(2)));
    }

    #[test]
    fn debug_does_not_wait_for_a_writer() {
        let lock = RwLock::new(1);
        let _writer = lock.try_write().unwrap();
        assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let lock = Arc::new(RwLock::new(0));
        let writer = tokio::spawn({
            let lock = lock.clone();
            async move { *lock.write_owned().await += 1 }
        });
        writer.await.unwrap();
        assert_eq!(*lock.clone().read_owned().await, 1);
    }

    #[test]
    fn writes_under_the_write_lock_are_not_lost() {
        crate::check(|| async {
            let lock = Arc::new(RwLock::new(0));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let lock = lock.clone();
                    crate::spawn(async move { *lock.write().await += 1 })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(*lock.read().await, 2);
        });
    }

    #[test]
    fn reading_then_writing_loses_updates() {
        let report = Scenario::new("rwlock::lost_update").iterations(200).run(|| async {
            let lock = Arc::new(RwLock::new(0));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let lock = lock.clone();
                    crate::spawn(async move {
                        let seen = *lock.read().await;
                        *lock.write().await = seen + 1;
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(*lock.read().await, 2);
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Panic), "{report}");
    }
}

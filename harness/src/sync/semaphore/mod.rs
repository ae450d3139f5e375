//! `Semaphore`: a fair counting semaphore with tokio's API, whose every acquisition is explored.

mod permit;

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

pub use permit::{OwnedSemaphorePermit, SemaphorePermit};

use super::permits::{self, Permits};
use crate::engine;

/// A counting semaphore, as `tokio::sync::Semaphore`: acquisitions are served in FIFO
/// order (one that needs many permits holds back the ones behind it), and a permit is
/// given back when its [`SemaphorePermit`] is dropped.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::Semaphore;
/// use std::sync::Arc;
///
/// let slots = Arc::new(Semaphore::new(1));
/// let task = racewright::spawn({
///     let slots = slots.clone();
///     async move {
///         let _permit = slots.acquire().await.unwrap();
///         // At most one task is here at a time.
///     }
/// });
/// let permit = slots.acquire().await.unwrap();
/// drop(permit);
/// task.await.unwrap();
/// assert_eq!(slots.available_permits(), 1);
/// # });
/// ```
pub struct Semaphore {
    permits: Permits,
}

/// An acquisition failed because the semaphore was closed.
#[derive(Debug)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why a `try_acquire` failed.
#[derive(Debug, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed and issues no more permits.
    Closed,
    /// Not enough permits are free (or others queue for them first).
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryAcquireError::Closed => "semaphore closed",
            TryAcquireError::NoPermits => "no permits available",
        })
    }
}

impl std::error::Error for TryAcquireError {}

impl From<permits::TryAcquireError> for TryAcquireError {
    fn from(error: permits::TryAcquireError) -> Self {
        match error {
            permits::TryAcquireError::Closed => TryAcquireError::Closed,
            permits::TryAcquireError::NoPermits => TryAcquireError::NoPermits,
        }
    }
}

impl Semaphore {
    /// The most permits a semaphore can hold, as tokio's.
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore with `permits` free permits.
    ///
    /// Panics if `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn new(permits: usize) -> Self {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits ({})",
            Self::MAX_PERMITS
        );
        Semaphore { permits: Permits::new(permits, "Semaphore", Location::caller()) }
    }

    /// A semaphore with `permits` free permits, in a `const` context (a `static`), as
    /// tokio's. See [`Mutex::const_new`](crate::sync::Mutex::const_new) on statics.
    ///
    /// Panics (at compile time in a `static`) if `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub const fn const_new(permits: usize) -> Self {
        assert!(permits <= Self::MAX_PERMITS, "a semaphore may not have more than MAX_PERMITS permits");
        Semaphore { permits: Permits::const_new(permits, false, "Semaphore", Location::caller()) }
    }

    /// The permits free right now.
    #[track_caller]
    pub fn available_permits(&self) -> usize {
        let at = engine::begin();
        let available = self.permits.available();
        engine::record_with("Semaphore::available_permits", at, || available.to_string());
        available
    }

    /// Adds `n` permits, handing them to queued acquisitions first.
    ///
    /// Panics if the free permits would exceed [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        let at = engine::begin();
        assert!(
            self.permits.available().checked_add(n).is_some_and(|total| total <= Self::MAX_PERMITS),
            "number of added permits ({n}) would overflow MAX_PERMITS ({})",
            Self::MAX_PERMITS
        );
        engine::record_with("Semaphore::add_permits", at, || n.to_string());
        self.permits.add(n);
    }

    /// Removes up to `n` free permits for good; returns how many were removed.
    #[track_caller]
    pub fn forget_permits(&self, n: usize) -> usize {
        let at = engine::begin();
        let removed = self.permits.forget(n);
        engine::record_with("Semaphore::forget_permits", at, || format!("{removed} of {n}"));
        removed
    }

    /// Waits for a permit. Fails only if the semaphore is closed.
    ///
    /// Cancel safe: dropping the future gives up its place in the queue and any permits
    /// it was already assigned.
    #[track_caller]
    pub fn acquire(&self) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> {
        self.acquire_n(1, "Semaphore::acquire", Location::caller())
    }

    /// Waits for `n` permits at once. Fails only if the semaphore is closed.
    #[track_caller]
    pub fn acquire_many(&self, n: u32) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> {
        self.acquire_n(n as usize, "Semaphore::acquire_many", Location::caller())
    }

    async fn acquire_n(
        &self,
        n: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_raw(n, operation, at).await?;
        Ok(SemaphorePermit::new(self, n, at))
    }

    /// Takes a permit if one is free and nobody queues before us.
    #[track_caller]
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let at = Location::caller();
        self.try_acquire_raw(1, "Semaphore::try_acquire", at)?;
        Ok(SemaphorePermit::new(self, 1, at))
    }

    /// Takes `n` permits if they are free and nobody queues before us.
    #[track_caller]
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let at = Location::caller();
        self.try_acquire_raw(n as usize, "Semaphore::try_acquire_many", at)?;
        Ok(SemaphorePermit::new(self, n as usize, at))
    }

    /// Like [`acquire`](Semaphore::acquire), returning a permit that owns the `Arc`.
    #[track_caller]
    pub fn acquire_owned(self: Arc<Self>) -> impl Future<Output = Result<OwnedSemaphorePermit, AcquireError>> {
        self.acquire_n_owned(1, "Semaphore::acquire_owned", Location::caller())
    }

    /// Like [`acquire_many`](Semaphore::acquire_many), returning a permit that owns the `Arc`.
    #[track_caller]
    pub fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> impl Future<Output = Result<OwnedSemaphorePermit, AcquireError>> {
        self.acquire_n_owned(n as usize, "Semaphore::acquire_many_owned", Location::caller())
    }

    async fn acquire_n_owned(
        self: Arc<Self>,
        n: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_raw(n, operation, at).await?;
        Ok(OwnedSemaphorePermit::new(self, n, at))
    }

    /// Like [`try_acquire`](Semaphore::try_acquire), returning a permit that owns the `Arc`.
    #[track_caller]
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        let at = Location::caller();
        self.try_acquire_raw(1, "Semaphore::try_acquire_owned", at)?;
        Ok(OwnedSemaphorePermit::new(self, 1, at))
    }

    /// Like [`try_acquire_many`](Semaphore::try_acquire_many), returning a permit that owns the `Arc`.
    #[track_caller]
    pub fn try_acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        let at = Location::caller();
        self.try_acquire_raw(n as usize, "Semaphore::try_acquire_many_owned", at)?;
        Ok(OwnedSemaphorePermit::new(self, n as usize, at))
    }

    /// Waits for a permit from synchronous code, blocking the thread (inside a run, the
    /// blocking task), as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn blocking_acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        engine::block_on(self.acquire())
    }

    /// Waits for `n` permits from synchronous code, as [`blocking_acquire`](Semaphore::blocking_acquire).
    #[track_caller]
    pub fn blocking_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        engine::block_on(self.acquire_many(n))
    }

    /// Like [`blocking_acquire`](Semaphore::blocking_acquire), returning a permit that owns the `Arc`.
    #[track_caller]
    pub fn blocking_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        engine::block_on(self.acquire_owned())
    }

    /// Like [`blocking_acquire_many`](Semaphore::blocking_acquire_many), returning a permit
    /// that owns the `Arc`.
    #[track_caller]
    pub fn blocking_acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        engine::block_on(self.acquire_many_owned(n))
    }

    /// Closes the semaphore: queued and later acquisitions fail; permits already held stay valid.
    #[track_caller]
    pub fn close(&self) {
        let at = engine::begin();
        engine::record("Semaphore::close", at);
        self.permits.close();
    }

    /// Whether [`close`](Semaphore::close) was called.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        let at = engine::begin();
        let closed = self.permits.is_closed();
        engine::record_with("Semaphore::is_closed", at, || closed.to_string());
        closed
    }

    async fn acquire_raw(
        &self,
        n: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<(), AcquireError> {
        let got = Some(format!("got {n}"));
        self.permits.acquire_held(n, operation, at, got).await.map_err(|permits::Closed| AcquireError(()))
    }

    fn try_acquire_raw(
        &self,
        n: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<(), TryAcquireError> {
        let result = self.permits.try_acquire_held(n, operation, at, |result| match result {
            Ok(()) => format!("got {n}"),
            Err(error) => TryAcquireError::from(*error).to_string(),
        });
        result.map_err(TryAcquireError::from)
    }

    /// A permit taken at `at` was dropped: gives back its `n` permits, and its hold if it
    /// still counts as one.
    fn release(&self, n: usize, at: &'static Location<'static>, held: bool) {
        self.permits.release_held(n, held, "Semaphore::release", Some(n.to_string()), at);
    }

    /// The running task holds permits taken at `at` in one more permit (a split).
    fn held(&self, at: &'static Location<'static>) {
        engine::acquired(self.permits.resource, at);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.permits.available())
            .field("closed", &self.permits.is_closed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio_test::{assert_pending, assert_ready, assert_ready_err, assert_ready_ok, task};

    use super::{Semaphore, TryAcquireError};
    use crate::{FailureKind, Scenario};

    #[test]
    fn permits_come_back_when_dropped() {
        let semaphore = Semaphore::new(2);
        let permit = semaphore.try_acquire_many(2).unwrap();
        assert_eq!(permit.num_permits(), 2);
        assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        drop(permit);
        assert_eq!(semaphore.available_permits(), 2);
    }

    #[test]
    fn a_large_acquisition_at_the_head_holds_back_smaller_ones() {
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().unwrap();
        let mut big = task::spawn(semaphore.acquire_many(2));
        assert_pending!(big.poll());
        semaphore.add_permits(1);
        // One permit is free, but it is assigned to the queued `acquire_many(2)`.
        assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        let mut small = task::spawn(semaphore.acquire());
        assert_pending!(small.poll());
        drop(held);
        assert!(big.is_woken());
        let big_permit = assert_ready_ok!(big.poll());
        assert_pending!(small.poll());
        drop(big_permit);
        assert!(small.is_woken());
        drop(assert_ready_ok!(small.poll()));
    }

    #[test]
    fn a_cancelled_acquisition_gives_its_assigned_permits_back() {
        let semaphore = Semaphore::new(1);
        let mut big = task::spawn(semaphore.acquire_many(3));
        assert_pending!(big.poll());
        drop(big);
        assert_eq!(semaphore.available_permits(), 1);
        assert!(semaphore.try_acquire().is_ok());
    }

    #[test]
    fn zero_permits_are_always_available() {
        let semaphore = Semaphore::new(0);
        let mut waiting = task::spawn(semaphore.acquire());
        assert_pending!(waiting.poll());
        drop(assert_ready_ok!(task::spawn(semaphore.acquire_many(0)).poll()));
        assert!(semaphore.try_acquire_many(0).is_ok());
    }

    #[test]
    fn close_fails_the_queued_and_later_acquisitions() {
        let semaphore = Semaphore::new(0);
        let mut waiting = task::spawn(semaphore.acquire());
        assert_pending!(waiting.poll());
        semaphore.close();
        assert!(semaphore.is_closed());
        assert!(waiting.is_woken());
        assert_ready_err!(waiting.poll());
        assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
        assert_ready!(task::spawn(semaphore.acquire()).poll()).unwrap_err();
    }

    #[test]
    fn permits_given_back_after_close_stay_free_as_tokios() {
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().unwrap();
        let mut waiting = task::spawn(semaphore.acquire_many(2));
        assert_pending!(waiting.poll());
        semaphore.close();
        drop(held);
        assert_eq!(semaphore.available_permits(), 1, "the failed acquisition takes nothing");
        assert_ready_err!(waiting.poll());
        assert_eq!(semaphore.available_permits(), 1);
    }

    // As tokio's: a close leaves a queued acquisition what it was assigned until it fails
    // (polled) or is dropped; tokio's own semaphore is run beside it.
    #[test]
    fn a_closed_semaphore_frees_what_it_had_assigned_once_the_acquisition_lets_go() {
        let (ours, theirs) = (Semaphore::new(1), tokio::sync::Semaphore::new(1));
        let mut waiting = task::spawn(ours.acquire_many(2));
        let mut tokio_waiting = task::spawn(theirs.acquire_many(2));
        assert_pending!(waiting.poll());
        assert_pending!(tokio_waiting.poll());
        assert_eq!(ours.available_permits(), 0, "assigned to the queued acquisition");
        ours.close();
        theirs.close();
        assert_eq!(theirs.available_permits(), 0);
        assert_eq!(ours.available_permits(), 0, "still the queued acquisition's");
        drop(waiting);
        drop(tokio_waiting);
        assert_eq!(theirs.available_permits(), 1);
        assert_eq!(ours.available_permits(), 1);
        // Polled after the close, it fails and gives back what it had, even all it asked for.
        let (ours, theirs) = (Semaphore::new(0), tokio::sync::Semaphore::new(0));
        let mut waiting = task::spawn(ours.acquire());
        let mut tokio_waiting = task::spawn(theirs.acquire());
        assert_pending!(waiting.poll());
        assert_pending!(tokio_waiting.poll());
        ours.add_permits(1);
        theirs.add_permits(1);
        ours.close();
        theirs.close();
        assert!(assert_ready!(tokio_waiting.poll()).is_err());
        assert!(assert_ready!(waiting.poll()).is_err());
        drop(tokio_waiting);
        assert_eq!(ours.available_permits(), theirs.available_permits());
    }

    static LIMIT: Semaphore = Semaphore::const_new(1);

    #[test]
    fn a_static_semaphore_limits_every_task() {
        crate::check(|| async {
            let inside = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let inside = inside.clone();
                    crate::spawn(async move {
                        let _permit = LIMIT.acquire().await.unwrap();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        crate::task::yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
        assert_eq!(LIMIT.available_permits(), 1);
    }

    #[test]
    fn blocking_acquire_blocks_a_blocking_task_and_panics_in_an_async_one() {
        crate::check(|| async {
            let semaphore = Arc::new(Semaphore::new(0));
            let blocked = crate::task::spawn_blocking({
                let semaphore = semaphore.clone();
                move || semaphore.blocking_acquire().unwrap().num_permits()
            });
            semaphore.add_permits(1);
            assert_eq!(blocked.await.unwrap(), 1);
            let in_async = crate::spawn({
                let semaphore = semaphore.clone();
                async move { semaphore.blocking_acquire_many(1).map(|permit| permit.num_permits()) }
            });
            assert!(in_async.await.unwrap_err().panic_message().unwrap().contains("Cannot block the current thread"));
        });
        let semaphore = Arc::new(Semaphore::new(1));
        assert_eq!(semaphore.clone().blocking_acquire_owned().unwrap().num_permits(), 1);
        assert_eq!(semaphore.blocking_acquire_many_owned(1).unwrap().num_permits(), 1);
    }

    #[test]
    fn forget_split_and_merge_move_permits_around() {
        let semaphore = Semaphore::new(3);
        let mut permit = semaphore.try_acquire_many(3).unwrap();
        let part = permit.split(2).unwrap();
        assert!(permit.split(2).is_none());
        part.forget();
        assert_eq!(semaphore.forget_permits(5), 0);
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1);
        let semaphore = Arc::new(Semaphore::new(2));
        let mut a = semaphore.clone().try_acquire_owned().unwrap();
        a.merge(semaphore.clone().try_acquire_owned().unwrap());
        assert_eq!(a.num_permits(), 2);
        drop(a);
        assert_eq!(semaphore.available_permits(), 2);
    }

    #[test]
    #[should_panic(expected = "MAX_PERMITS")]
    fn more_than_max_permits_panics() {
        let _ = Semaphore::new(Semaphore::MAX_PERMITS + 1);
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let semaphore = Arc::new(Semaphore::new(1));
        let permit = semaphore.clone().acquire_owned().await.unwrap();
        let waiter = tokio::spawn({
            let semaphore = semaphore.clone();
            async move { semaphore.acquire().await.map(|permit| permit.num_permits()) }
        });
        drop(permit);
        assert_eq!(waiter.await.unwrap().unwrap(), 1);
    }

    #[test]
    fn never_more_holders_than_permits() {
        crate::check(|| async {
            let semaphore = Arc::new(Semaphore::new(2));
            let inside = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let (semaphore, inside) = (semaphore.clone(), inside.clone());
                    crate::spawn(async move {
                        let _permit = semaphore.acquire().await.unwrap();
                        assert!(inside.fetch_add(1, Ordering::SeqCst) < 2);
                        crate::task::yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
    }

    #[test]
    fn a_forgotten_permit_starves_the_next_task() {
        let report = Scenario::new("semaphore::forgotten_permit").iterations(50).run(|| async {
            let semaphore = Arc::new(Semaphore::new(1));
            let first = crate::spawn({
                let semaphore = semaphore.clone();
                async move { semaphore.acquire().await.unwrap().forget() }
            });
            let second = crate::spawn({
                let semaphore = semaphore.clone();
                async move { drop(semaphore.acquire().await.unwrap()) }
            });
            first.await.unwrap();
            second.await.unwrap();
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    }
}

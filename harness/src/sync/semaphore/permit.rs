//! The permits a [`Semaphore`] hands out: given back when dropped.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use super::Semaphore;

/// Permits of a [`Semaphore`], given back when dropped.
#[must_use = "the permits are given back as soon as this is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
    /// Where the permits were acquired.
    at: &'static Location<'static>,
    /// This permit counts as a hold of the semaphore in deadlock reports; a forgotten one
    /// stays held for good.
    held: bool,
}

impl<'a> SemaphorePermit<'a> {
    pub(super) fn new(semaphore: &'a Semaphore, permits: usize, at: &'static Location<'static>) -> Self {
        SemaphorePermit { semaphore, permits, at, held: true }
    }

    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
        self.held = false;
    }

    /// Takes over the permits of `other`, from the same semaphore.
    ///
    /// Panics if `other` comes from another semaphore.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(std::ptr::eq(self.semaphore, other.semaphore), "merging permits from different semaphore instances");
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` permits off into a new permit; `None` if this holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        self.semaphore.held(self.at);
        Some(SemaphorePermit { semaphore: self.semaphore, permits: n, at: self.at, held: true })
    }

    /// The semaphore the permits belong to.
    pub fn semaphore(&self) -> &'a Semaphore {
        self.semaphore
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits, self.at, self.held);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").field("permits", &self.permits).finish_non_exhaustive()
    }
}

/// A [`SemaphorePermit`] that owns an `Arc` of its semaphore, so it can move into a task.
#[must_use = "the permits are given back as soon as this is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: usize,
    at: &'static Location<'static>,
    held: bool,
}

impl OwnedSemaphorePermit {
    pub(super) fn new(semaphore: Arc<Semaphore>, permits: usize, at: &'static Location<'static>) -> Self {
        OwnedSemaphorePermit { semaphore, permits, at, held: true }
    }

    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
        self.held = false;
    }

    /// Takes over the permits of `other`, from the same semaphore.
    ///
    /// Panics if `other` comes from another semaphore.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(Arc::ptr_eq(&self.semaphore, &other.semaphore), "merging permits from different semaphore instances");
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` permits off into a new permit; `None` if this holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        self.semaphore.held(self.at);
        Some(OwnedSemaphorePermit { semaphore: self.semaphore.clone(), permits: n, at: self.at, held: true })
    }

    /// The semaphore the permits belong to.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.release(self.permits, self.at, self.held);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit").field("permits", &self.permits).finish_non_exhaustive()
    }
}

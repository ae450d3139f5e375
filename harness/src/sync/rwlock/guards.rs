//! The guards of a borrowed [`RwLock`](super::RwLock).

use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::panic::Location;

use super::unlock;
use crate::engine;
use crate::sync::permits::Permits;

/// Shared read access to an [`RwLock`](super::RwLock), released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    permits: &'a Permits,
    /// Valid for reads while the guard holds its read permit.
    data: *const T,
    /// Where the lock was taken.
    at: &'static Location<'static>,
    marker: PhantomData<&'a T>,
}

// SAFETY: the guard hands out `&T` only, like `&T` itself.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as tokio's guard.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    pub(super) fn new(permits: &'a Permits, data: *const T, at: &'static Location<'static>) -> Self {
        RwLockReadGuard { permits, data, at, marker: PhantomData }
    }

    /// A guard on a part of the locked value, e.g. a field.
    pub fn map<U: ?Sized, F: FnOnce(&T) -> &U>(this: Self, f: F) -> RwLockReadGuard<'a, U> {
        let data: *const U = f(&*this);
        let this = ManuallyDrop::new(this);
        RwLockReadGuard { permits: this.permits, data, at: this.at, marker: PhantomData }
    }

    /// Like [`map`](RwLockReadGuard::map), when `f` may find no such part: then gives the guard back.
    pub fn try_map<U: ?Sized, F: FnOnce(&T) -> Option<&U>>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self> {
        let Some(data) = f(&*this).map(|part| part as *const U) else { return Err(this) };
        let this = ManuallyDrop::new(this);
        Ok(RwLockReadGuard { permits: this.permits, data, at: this.at, marker: PhantomData })
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds a read permit, which keeps writers out.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        unlock(self.permits, 1, "read", self.at);
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

/// Exclusive write access to an [`RwLock`](super::RwLock), released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    permits: &'a Permits,
    /// The permits held: all of the lock's.
    held: u32,
    /// Valid for reads and writes while the guard holds all the permits.
    data: *mut T,
    /// Where the lock was taken.
    at: &'static Location<'static>,
    marker: PhantomData<&'a mut T>,
}

// SAFETY: the guard hands out `&mut T` (so `T: Send`) and `&T` (so `T: Sync`), as tokio's.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    pub(super) fn new(permits: &'a Permits, held: u32, data: *mut T, at: &'static Location<'static>) -> Self {
        RwLockWriteGuard { permits, held, data, at, marker: PhantomData }
    }

    /// Turns write access into read access without unlocking, so no writer can come in between.
    /// Readers queued behind may then enter.
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let data = self.data;
        Self::downgrade_to(self, data)
    }

    /// Downgrades to a read guard on a part of the value (`f` picks it), atomically, as
    /// tokio's: no writer can come in between.
    pub fn downgrade_map<U: ?Sized, F: FnOnce(&T) -> &U>(this: Self, f: F) -> RwLockReadGuard<'a, U> {
        let data: *const U = f(&*this);
        Self::downgrade_to(this, data)
    }

    /// Like [`downgrade_map`](RwLockWriteGuard::downgrade_map), when `f` may find no such
    /// part: then gives the write guard back, still writing.
    pub fn try_downgrade_map<U: ?Sized, F: FnOnce(&T) -> Option<&U>>(
        this: Self,
        f: F,
    ) -> Result<RwLockReadGuard<'a, U>, Self> {
        let Some(data) = f(&*this).map(|part| part as *const U) else { return Err(this) };
        Ok(Self::downgrade_to(this, data))
    }

    /// A guard on a part of the value (`f` picks it), still writing, as tokio's.
    pub fn map<U: ?Sized, F: FnOnce(&mut T) -> &mut U>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U> {
        let data: *mut U = f(&mut *this);
        RwLockMappedWriteGuard(Self::moved_to(this, data))
    }

    /// Like [`map`](RwLockWriteGuard::map), when `f` may find no such part: then gives the guard back.
    pub fn try_map<U: ?Sized, F: FnOnce(&mut T) -> Option<&mut U>>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
        let Some(data) = f(&mut *this).map(|part| part as *mut U) else { return Err(this) };
        Ok(RwLockMappedWriteGuard(Self::moved_to(this, data)))
    }

    /// The same guard, as a mapped one, as tokio's.
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        RwLockMappedWriteGuard(this)
    }

    /// The same write lock, on `data`.
    fn moved_to<U: ?Sized>(this: Self, data: *mut U) -> RwLockWriteGuard<'a, U> {
        let this = ManuallyDrop::new(this);
        RwLockWriteGuard { permits: this.permits, held: this.held, data, at: this.at, marker: PhantomData }
    }

    /// Gives back all but one of the write permits, keeping `data` readable.
    fn downgrade_to<U: ?Sized>(this: Self, data: *const U) -> RwLockReadGuard<'a, U> {
        let this = ManuallyDrop::new(this);
        engine::record("RwLock::downgrade", this.at);
        this.permits.release(this.held as usize - 1);
        RwLockReadGuard::new(this.permits, data, this.at)
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        unlock(self.permits, self.held, "write", self.at);
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

/// Write access to a part of an [`RwLock`](super::RwLock)'s value, from
/// [`RwLockWriteGuard::map`]; it keeps the write lock until dropped.
pub struct RwLockMappedWriteGuard<'a, T: ?Sized>(RwLockWriteGuard<'a, T>);

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// A guard on a part of this part, as [`RwLockWriteGuard::map`].
    pub fn map<U: ?Sized, F: FnOnce(&mut T) -> &mut U>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U> {
        RwLockWriteGuard::map(this.0, f)
    }

    /// Like [`map`](RwLockMappedWriteGuard::map), when `f` may find no such part.
    pub fn try_map<U: ?Sized, F: FnOnce(&mut T) -> Option<&mut U>>(
        this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
        RwLockWriteGuard::try_map(this.0, f).map_err(RwLockMappedWriteGuard)
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

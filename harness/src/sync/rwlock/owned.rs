//! The guards of an `Arc`'d [`RwLock`], which own the `Arc` and so can move into a task.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::Arc;

use super::{RwLock, unlock};
use crate::engine;

/// Shared read access to an `Arc`'d [`RwLock`], released when dropped; `U` is the part of
/// the value it gives access to (see [`map`](OwnedRwLockReadGuard::map)).
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    /// Points into `lock`'s value; valid while the guard holds its read permit.
    data: *const U,
    /// Where the lock was taken.
    at: &'static Location<'static>,
}

// SAFETY: the guard owns an `Arc` of the lock (so `T: Send + Sync`) and hands out `&U`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as tokio's guard.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockReadGuard<T, U> {}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    pub(super) fn new(lock: Arc<RwLock<T>>, at: &'static Location<'static>) -> Self {
        let data = lock.data.get().cast_const();
        OwnedRwLockReadGuard { lock, data, at }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// A guard on a part of the locked value, e.g. a field.
    pub fn map<V: ?Sized, F: FnOnce(&U) -> &V>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V> {
        let data: *const V = f(&*this);
        let (lock, at) = this.into_parts();
        OwnedRwLockReadGuard { lock, data, at }
    }

    /// Like [`map`](OwnedRwLockReadGuard::map), when `f` may find no such part: then gives the guard back.
    pub fn try_map<V: ?Sized, F: FnOnce(&U) -> Option<&V>>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, V>, Self> {
        let Some(data) = f(&*this).map(|part| part as *const V) else { return Err(this) };
        let (lock, at) = this.into_parts();
        Ok(OwnedRwLockReadGuard { lock, data, at })
    }

    /// The lock this guard reads.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// The lock and the site, keeping the read permit (the guard is not dropped).
    fn into_parts(self) -> (Arc<RwLock<T>>, &'static Location<'static>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the `Arc` is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        (lock, this.at)
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the guard holds a read permit, which keeps writers out.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        unlock(&self.lock.permits, 1, "read", self.at);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Exclusive write access to an `Arc`'d [`RwLock`], released when dropped.
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    /// Where the lock was taken.
    at: &'static Location<'static>,
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    pub(super) fn new(lock: Arc<RwLock<T>>, at: &'static Location<'static>) -> Self {
        OwnedRwLockWriteGuard { lock, at }
    }

    /// Turns write access into read access without unlocking, so no writer can come in between.
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the `Arc` is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        engine::record("RwLock::downgrade", this.at);
        lock.permits.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard::new(lock, this.at)
    }

    /// The lock this guard writes.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// A guard on a part of the value (`f` picks it), still writing, that owns the `Arc`, as tokio's.
    pub fn map<U: ?Sized, F: FnOnce(&mut T) -> &mut U>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U> {
        let data: *mut U = f(&mut *this);
        let (lock, at) = this.into_parts();
        OwnedRwLockMappedWriteGuard { lock, data, at }
    }

    /// Like [`map`](OwnedRwLockWriteGuard::map), when `f` may find no such part: then gives the guard back.
    pub fn try_map<U: ?Sized, F: FnOnce(&mut T) -> Option<&mut U>>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self> {
        let Some(data) = f(&mut *this).map(|part| part as *mut U) else { return Err(this) };
        let (lock, at) = this.into_parts();
        Ok(OwnedRwLockMappedWriteGuard { lock, data, at })
    }

    fn into_parts(self) -> (Arc<RwLock<T>>, &'static Location<'static>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves out once.
        (unsafe { std::ptr::read(&this.lock) }, this.at)
    }
}

/// Write access to a part of an `Arc`'d [`RwLock`]'s value, from
/// [`OwnedRwLockWriteGuard::map`]; it keeps the write lock and the `Arc` until dropped.
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    /// Valid for reads and writes while the guard holds every permit.
    data: *mut U,
    at: &'static Location<'static>,
}

// SAFETY: as `OwnedRwLockWriteGuard`: the guard gives `&mut U` and `&U` to one holder.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send for OwnedRwLockMappedWriteGuard<T, U> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockMappedWriteGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// A guard on a part of this part, as [`OwnedRwLockWriteGuard::map`].
    pub fn map<V: ?Sized, F: FnOnce(&mut U) -> &mut V>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V> {
        let data: *mut V = f(&mut *this);
        let (lock, at) = this.into_parts();
        OwnedRwLockMappedWriteGuard { lock, data, at }
    }

    /// Like [`map`](OwnedRwLockMappedWriteGuard::map), when `f` may find no such part.
    pub fn try_map<V: ?Sized, F: FnOnce(&mut U) -> Option<&mut V>>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self> {
        let Some(data) = f(&mut *this).map(|part| part as *mut V) else { return Err(this) };
        let (lock, at) = this.into_parts();
        Ok(OwnedRwLockMappedWriteGuard { lock, data, at })
    }

    /// The lock this guard writes.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    fn into_parts(self) -> (Arc<RwLock<T>>, &'static Location<'static>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; its `Arc` moves out once.
        (unsafe { std::ptr::read(&this.lock) }, this.at)
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        unlock(&self.lock.permits, self.lock.max_readers, "write", self.at);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        unlock(&self.lock.permits, self.lock.max_readers, "write", self.at);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

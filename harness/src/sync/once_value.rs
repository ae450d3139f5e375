//! The value `OnceCell` and `SetOnce` hold: stored at most once, then read by everyone.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

use crate::engine::StateLock;

/// A value stored at most once. Once stored it never changes while shared: readers keep a
/// `&T` without a lock.
pub(super) struct OnceValue<T> {
    /// Whether `value` holds a value; it is written under this lock, before it is set.
    stored: StateLock<bool>,
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> OnceValue<T> {
    pub(super) fn new(value: Option<T>) -> Self {
        let stored = value.is_some();
        let value = value.map_or_else(MaybeUninit::uninit, MaybeUninit::new);
        OnceValue { stored: StateLock::new(stored), value: UnsafeCell::new(value) }
    }

    pub(super) const fn const_new() -> Self {
        OnceValue { stored: StateLock::const_new(false), value: UnsafeCell::new(MaybeUninit::uninit()) }
    }

    pub(super) const fn const_new_with(value: T) -> Self {
        OnceValue { stored: StateLock::const_new(true), value: UnsafeCell::new(MaybeUninit::new(value)) }
    }

    /// Whether a value is stored.
    pub(super) fn is_stored(&self) -> bool {
        *self.stored.lock()
    }

    /// The value, once stored.
    pub(super) fn get(&self) -> Option<&T> {
        // SAFETY: a stored value is never written again while `self` is shared.
        self.is_stored().then(|| unsafe { (*self.value.get()).assume_init_ref() })
    }

    /// Stores `value` unless one is stored already (then gives it back).
    pub(super) fn store(&self, value: T) -> Result<&T, T> {
        let mut stored = self.stored.lock();
        if *stored {
            return Err(value);
        }
        // SAFETY: nobody reads `value` before `stored` says so, and only one task gets here
        // with `stored` false under the lock.
        unsafe { (*self.value.get()).write(value) };
        *stored = true;
        drop(stored);
        // SAFETY: just stored, and never written again while shared.
        Ok(unsafe { (*self.value.get()).assume_init_ref() })
    }

    /// The value, for whoever holds `self` alone.
    pub(super) fn get_mut(&mut self) -> Option<&mut T> {
        // SAFETY: `&mut self` excludes every reader.
        self.is_stored().then(|| unsafe { self.value.get_mut().assume_init_mut() })
    }

    /// Takes the value out, leaving none stored.
    pub(super) fn take(&mut self) -> Option<T> {
        let mut stored = self.stored.lock();
        // SAFETY: `&mut self` excludes every reader, and `stored` is cleared with the read.
        std::mem::replace(&mut *stored, false).then(|| unsafe { (*self.value.get()).assume_init_read() })
    }
}

impl<T> Drop for OnceValue<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

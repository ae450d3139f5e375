//! The lock around a primitive's internal state, as the engine needs it.
//!
//! Everywhere it is a spin lock that yields its turn while held elsewhere: held for a few
//! lines and never across a scheduling point, so only a thread outside the execution ever
//! finds it held. On loom it is also a loom mutex: loom's DPOR sees only what goes
//! through loom objects, so without it two tasks touching the same channel or lock would
//! look independent to loom, and it would never try the other order.

use std::fmt;
use std::ops::{Deref, DerefMut};

use spin::relax::Yield;

use super::loom;
use crate::run::execution;

/// The lock itself: taken with one atomic read-modify-write and released with a plain
/// store (a std mutex takes a second read-modify-write to release), as only a thread
/// outside the execution ever finds it held, for a few lines; it then yields its turn
/// until the lock is free.
type Mutex<T> = spin::mutex::SpinMutex<T, Yield>;
type MutexGuard<'a, T> = spin::mutex::SpinMutexGuard<'a, T, Yield>;

/// A primitive's state behind the engine's lock.
pub(crate) struct StateLock<T> {
    model: Model,
    data: Mutex<T>,
    /// The serial of the execution that made it (0: none, or a `const fn`).
    born: u64,
}

/// Where a state lock's loom model comes from.
enum Model {
    /// Made with the primitive, in the loom execution it was created in (if any).
    Made(Option<loom::ModelLock>),
    /// Made in each loom execution that uses the primitive, for one made by a `const fn`
    /// (a `static`, which outlives the executions).
    PerExecution(loom::LazyModelLock),
}

/// Holds a [`StateLock`]: the state, and on loom the model mutex (released after it).
pub(crate) struct StateGuard<'a, T> {
    // Fields drop in order: the data first, then the model mutex, which is no branch point.
    data: MutexGuard<'a, T>,
    _model: Option<loom::ModelGuard<'a>>,
}

impl<T> StateLock<T> {
    pub(crate) fn new(data: T) -> Self {
        StateLock {
            model: Model::Made(loom::ModelLock::for_new_primitive()),
            data: Mutex::new(data),
            born: execution::serial(),
        }
    }

    /// A state lock made in a `const` context, whose loom model is made in each loom
    /// execution that uses it.
    pub(crate) const fn const_new(data: T) -> Self {
        StateLock { model: Model::PerExecution(loom::LazyModelLock::new()), data: Mutex::new(data), born: 0 }
    }

    /// Locks the state. On loom, taking the model mutex first is a branch point: other
    /// tasks may run before this one touches the state.
    pub(crate) fn lock(&self) -> StateGuard<'_, T> {
        execution::used_primitive_of(self.born);
        let model = match &self.model {
            Model::Made(model) => model.as_ref().and_then(loom::ModelLock::lock),
            Model::PerExecution(model) => model.get().and_then(loom::ModelLock::lock),
        };
        let data = self.data.lock();
        StateGuard { data, _model: model }
    }
}

// As std's mutex, whatever `T`: a state changes between statements only, so a panic while
// the lock is held leaves it consistent (the primitives' types stay unwind-safe, as tokio's).
impl<T> std::panic::UnwindSafe for StateLock<T> {}
impl<T> std::panic::RefUnwindSafe for StateLock<T> {}

impl<T: Default> Default for StateLock<T> {
    fn default() -> Self {
        StateLock::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for StateLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.data.try_lock() {
            Some(data) => fmt::Debug::fmt(&*data, f),
            None => f.write_str("<locked>"),
        }
    }
}

impl<T> Deref for StateGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> DerefMut for StateGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

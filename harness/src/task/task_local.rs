//! `task_local!`: values scoped to a future, as tokio's task-locals.
//!
//! A value is set while its scope's future is polled and put away in between, as tokio
//! does. Inside a run many tasks share one thread and a task may be switched out in the
//! middle of a poll (at any scheduling point), so the values are kept per task there, not
//! per thread: each task sees only the scopes it is polling.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::engine::{self, TaskId};

/// Declares task-local keys, as `tokio::task_local!`: each is a `static` [`LocalKey`],
/// whose value is set by [`LocalKey::scope`] (or `sync_scope`) and read inside it.
///
/// ```
/// racewright::task_local! {
///     static REQUEST: u32;
/// }
///
/// # racewright::check(|| async {
/// REQUEST
///     .scope(7, async {
///         assert_eq!(REQUEST.get(), 7);
///         // Spawned tasks do not inherit it, as in tokio.
///         let inner = racewright::spawn(async { REQUEST.try_get().is_err() });
///         assert!(inner.await.unwrap());
///     })
///     .await;
/// # });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __KEY: $crate::task::__private::Slots<$t> = const { $crate::task::__private::Slots::new() };
            }
            $crate::task::LocalKey { inner: __KEY }
        };
    };
}

/// Who a value is set for: a task of an execution, or (outside a run) the thread, where
/// tokio polls one task at a time.
type Owner = Option<(u64, TaskId)>;

/// The values of one key on one thread, by owner. `Rc`'d each, so that reading one borrows
/// it alone while another task sets its own.
#[doc(hidden)]
pub struct Slots<T> {
    slots: RefCell<BTreeMap<Owner, Rc<RefCell<Option<T>>>>>,
}

impl<T> Slots<T> {
    #[doc(hidden)]
    pub const fn new() -> Self {
        Slots { slots: RefCell::new(BTreeMap::new()) }
    }

    /// The running task's slot, if it has one.
    fn get(&self, owner: Owner) -> Option<Rc<RefCell<Option<T>>>> {
        self.slots.borrow().get(&owner).cloned()
    }

    /// The running task's slot, made if it has none.
    fn get_or_make(&self, owner: Owner) -> Rc<RefCell<Option<T>>> {
        self.slots.borrow_mut().entry(owner).or_default().clone()
    }

    /// Forgets the running task's slot once it holds nothing.
    fn tidy(&self, owner: Owner) {
        let mut slots = self.slots.borrow_mut();
        if slots.get(&owner).is_some_and(|slot| slot.try_borrow().is_ok_and(|value| value.is_none())) {
            slots.remove(&owner);
        }
    }
}

/// A key of task-local values, as `tokio::task::LocalKey`; made by [`task_local!`].
pub struct LocalKey<T: 'static> {
    #[doc(hidden)]
    pub inner: std::thread::LocalKey<Slots<T>>,
}

/// [`LocalKey::try_with`] found no value: the caller is not inside a scope of the key.
#[derive(Clone, Copy, Eq, PartialEq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessError").finish()
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set")
    }
}

impl Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    /// Sets the value to `value` while `future` is polled, as tokio's.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture { key: self, slot: Some(value), future: Some(future) }
    }

    /// Sets the value to `value` while `f` runs, as tokio's.
    ///
    /// # Panics
    /// Inside [`with`](LocalKey::with) of the same key, as tokio's.
    #[track_caller]
    pub fn sync_scope<F: FnOnce() -> R, R>(&'static self, value: T, f: F) -> R {
        let mut slot = Some(value);
        self.set_while(&mut slot, f)
    }

    /// Runs `f` with the value in `slot` set for the running task (and the one before put
    /// back afterwards, even if `f` panics).
    #[track_caller]
    fn set_while<R>(&'static self, slot: &mut Option<T>, f: impl FnOnce() -> R) -> R {
        let owner = engine::task_identity();
        let cell = self.inner.with(|slots| slots.get_or_make(owner));
        match cell.try_borrow_mut() {
            Ok(mut current) => std::mem::swap(slot, &mut *current),
            Err(_) => panic!("cannot enter a task-local scope while the task-local storage is borrowed"),
        }
        let restore = Restore { key: self, owner, cell, slot };
        let result = f();
        drop(restore);
        result
    }

    /// Runs `f` on the value, as tokio's.
    ///
    /// # Panics
    /// Outside a scope of the key, as tokio's.
    #[track_caller]
    pub fn with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> R {
        match self.try_with(f) {
            Ok(result) => result,
            Err(_) => panic!("cannot access a task-local storage value without setting it first"),
        }
    }

    /// Runs `f` on the value, or fails outside a scope of the key, as tokio's.
    pub fn try_with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> Result<R, AccessError> {
        let owner = engine::task_identity();
        let cell = self.inner.try_with(|slots| slots.get(owner)).ok().flatten().ok_or(AccessError { _private: () })?;
        let value = cell.try_borrow().map_err(|_| AccessError { _private: () })?;
        match &*value {
            Some(value) => Ok(f(value)),
            None => Err(AccessError { _private: () }),
        }
    }
}

impl<T: Copy + 'static> LocalKey<T> {
    /// A copy of the value, as tokio's.
    ///
    /// # Panics
    /// Outside a scope of the key, as tokio's.
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(|value| *value)
    }

    /// A copy of the value, or fails outside a scope of the key, as tokio's.
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(|value| *value)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

/// Puts a scope's value away and the one before it back.
struct Restore<'a, T: 'static> {
    key: &'static LocalKey<T>,
    owner: Owner,
    cell: Rc<RefCell<Option<T>>>,
    slot: &'a mut Option<T>,
}

impl<T: 'static> Drop for Restore<'_, T> {
    fn drop(&mut self) {
        std::mem::swap(self.slot, &mut *self.cell.borrow_mut());
        let owner = self.owner;
        let _ = self.key.inner.try_with(|slots| slots.tidy(owner));
    }
}

/// The future of [`LocalKey::scope`]: `future`, with the key's value set while it is polled.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    /// The value, while the future is not being polled.
    slot: Option<T>,
    /// Structurally pinned; `None` once it has completed.
    future: Option<F>,
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the value out: the future goes on without it (tokio's `take_value`).
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        // SAFETY: `slot` is not pinned; `future` is not touched.
        unsafe { self.get_unchecked_mut() }.slot.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is only dropped in place (set to `None`
        // below and in `Drop`), never moved; `slot` and `key` are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let key = this.key;
        let future = &mut this.future;
        key.set_while(&mut this.slot, || {
            // SAFETY: see above.
            let mut pinned = unsafe { Pin::new_unchecked(future) };
            let poll = match pinned.as_mut().as_pin_mut() {
                Some(future) => future.poll(cx),
                None => panic!("`TaskLocalFuture` polled after completion"),
            };
            if poll.is_ready() {
                // Dropped inside the scope, as tokio's.
                pinned.set(None);
            }
            poll
        })
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        if std::mem::needs_drop::<F>() && self.future.is_some() {
            let future = &mut self.future;
            // The inner future sees its value while it is dropped, as tokio's.
            let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.key.set_while(&mut self.slot, || *future = None)
            }));
            if let Err(payload) = dropped {
                std::panic::resume_unwind(payload);
            }
        }
    }
}

impl<T: 'static + fmt::Debug, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture").field("value", &self.slot).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::sync::Barrier;

    crate::task_local! {
        static NUMBER: u32;
        pub(crate) static NAME: String;
    }

    // After tokio's `tests/task_local.rs`: nested scopes, and values that stay with their
    // own task while tasks take turns.
    #[test]
    fn each_task_sees_its_own_scope_however_they_interleave() {
        crate::check(|| async {
            let barrier = Arc::new(Barrier::new(2));
            let tasks: Vec<_> = (0..2)
                .map(|n| {
                    let barrier = barrier.clone();
                    crate::spawn(NUMBER.scope(n, async move {
                        assert_eq!(NUMBER.get(), n);
                        // The other task may run, inside this poll, at the scheduling point here.
                        barrier.wait().await;
                        assert_eq!(NUMBER.get(), n, "another task's value leaked in");
                        crate::task::yield_now().await;
                        assert_eq!(NUMBER.get(), n, "another task's value leaked in");
                        NUMBER.scope(n + 10, async move { assert_eq!(NUMBER.get(), n + 10) }).await;
                        assert_eq!(NUMBER.get(), n);
                    }))
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert!(NUMBER.try_get().is_err());
        });
    }

    #[test]
    fn sibling_scopes_in_one_task_and_sync_scopes() {
        crate::check(|| async {
            let (a, b) = crate::join!(
                NAME.scope("a".into(), async {
                    crate::task::yield_now().await;
                    NAME.with(Clone::clone)
                }),
                NAME.scope("b".into(), async {
                    crate::task::yield_now().await;
                    NAME.with(Clone::clone)
                }),
            );
            assert_eq!((a.as_str(), b.as_str()), ("a", "b"));
            assert_eq!(NUMBER.sync_scope(3, || NUMBER.get() + 1), 4);
            assert_eq!(NUMBER.try_with(|n| *n).unwrap_err().to_string(), "task-local value not set");
        });
    }

    #[test]
    #[should_panic(expected = "cannot access a task-local storage value without setting it first")]
    fn with_outside_a_scope_panics_as_tokio() {
        NUMBER.with(|_| ());
    }

    #[test]
    fn take_value_takes_it_out_of_the_scope() {
        let mut scoped = std::pin::pin!(NUMBER.scope(5, async { NUMBER.try_get() }));
        assert_eq!(scoped.as_mut().take_value(), Some(5));
        assert!(tokio_test::block_on(scoped).is_err());
    }

    #[tokio::test]
    async fn on_a_tokio_runtime() {
        let inner = tokio::spawn(NUMBER.scope(1, async {
            tokio::task::yield_now().await;
            NUMBER.get()
        }));
        assert_eq!(NUMBER.scope(2, async { NUMBER.get() }).await, 2);
        assert_eq!(inner.await.unwrap(), 1);
    }
}

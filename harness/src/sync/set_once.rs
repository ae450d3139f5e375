//! `SetOnce`: a value set once, that tasks can wait for, with tokio's API.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::panic::Location;

use super::notify::Notify;
use super::once_value::OnceValue;
use crate::engine::{self, Resource};

/// A value set at most once, which tasks can wait for, as `tokio::sync::SetOnce` (an
/// async `OnceLock`, or an event that carries a value).
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::SetOnce;
/// use std::sync::Arc;
///
/// let ready = Arc::new(SetOnce::new());
/// let waiter = racewright::spawn({
///     let ready = ready.clone();
///     async move { *ready.wait().await }
/// });
/// ready.set(7).unwrap();
/// assert!(ready.set(8).is_err());
/// assert_eq!(waiter.await.unwrap(), 7);
/// # });
/// ```
pub struct SetOnce<T> {
    value: OnceValue<T>,
    /// Wakes the tasks in `wait` once the value is set.
    set: Notify,
}

// SAFETY: the value is written once, under `OnceValue`'s lock, and read as `&T`.
unsafe impl<T: Send> Send for SetOnce<T> {}
// SAFETY: as above; sharing it shares `&T` between tasks and moves `T` in.
unsafe impl<T: Send + Sync> Sync for SetOnce<T> {}

/// [`SetOnce::set`] failed: the value was set already. Holds the value given.
#[derive(Debug, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetOnceError")
    }
}

impl<T: fmt::Debug> Error for SetOnceError<T> {}

impl<T> SetOnce<T> {
    /// An unset `SetOnce`.
    #[track_caller]
    pub fn new() -> Self {
        SetOnce::new_with(None)
    }

    /// A `SetOnce` holding `value`, or an unset one.
    #[track_caller]
    pub fn new_with(value: Option<T>) -> Self {
        let resource = Resource::new("SetOnce", Location::caller());
        SetOnce { value: OnceValue::new(value), set: Notify::for_resource(resource) }
    }

    /// An unset `SetOnce`, in a `const` context (a `static`), as tokio's. See
    /// [`Mutex::const_new`](crate::sync::Mutex::const_new) on statics.
    #[track_caller]
    pub const fn const_new() -> Self {
        let resource = Resource::new_const("SetOnce", Location::caller());
        SetOnce { value: OnceValue::const_new(), set: Notify::const_for_resource(resource) }
    }

    /// A `SetOnce` holding `value`, in a `const` context, as tokio's.
    #[track_caller]
    pub const fn const_new_with(value: T) -> Self {
        let resource = Resource::new_const("SetOnce", Location::caller());
        SetOnce { value: OnceValue::const_new_with(value), set: Notify::const_for_resource(resource) }
    }

    /// Whether the value is set.
    #[track_caller]
    pub fn initialized(&self) -> bool {
        engine::run("SetOnce::initialized", || self.value.is_stored(), bool::to_string)
    }

    /// The value, if set.
    #[track_caller]
    pub fn get(&self) -> Option<&T> {
        engine::run("SetOnce::get", || self.value.get(), |value| if value.is_some() { "set" } else { "unset" }.into())
    }

    /// Sets the value and wakes the tasks waiting for it; fails, giving `value` back, if it
    /// was set already.
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        let at = engine::begin();
        let result = self.value.store(value).map(|_| ()).map_err(SetOnceError);
        engine::record_with("SetOnce::set", at, || if result.is_ok() { "set" } else { "already set" }.into());
        if result.is_ok() {
            self.set.wake_waiters();
        }
        result
    }

    /// Waits until the value is set, and returns it.
    ///
    /// Cancel safe.
    #[track_caller]
    pub fn wait(&self) -> impl Future<Output = &T> {
        let at = Location::caller();
        async move {
            engine::point().await;
            let value = loop {
                // Registered before the check, so that a `set` in between is seen.
                let set = self.set.waiter("SetOnce::wait", at);
                if let Some(value) = self.value.get() {
                    break value;
                }
                set.await;
            };
            engine::record("SetOnce::wait", at);
            value
        }
    }

    /// The value, consuming the `SetOnce`.
    pub fn into_inner(mut self) -> Option<T> {
        self.value.take()
    }
}

impl<T> Default for SetOnce<T> {
    #[track_caller]
    fn default() -> Self {
        SetOnce::new()
    }
}

impl<T> From<T> for SetOnce<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        SetOnce::new_with(Some(value))
    }
}

impl<T: Clone> Clone for SetOnce<T> {
    #[track_caller]
    fn clone(&self) -> Self {
        SetOnce::new_with(self.value.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for SetOnce<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value.get() == other.value.get()
    }
}

impl<T: Eq> Eq for SetOnce<T> {}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnce").field("value", &self.value.get()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio_test::{assert_pending, assert_ready, task};

    use super::{SetOnce, SetOnceError};
    use crate::{FailureKind, Scenario};

    #[test]
    fn waiters_are_woken_by_the_one_set() {
        let once = SetOnce::new();
        let mut waiting = task::spawn(once.wait());
        assert_pending!(waiting.poll());
        assert_eq!(once.get(), None);
        once.set(5).unwrap();
        assert_eq!(once.set(6), Err(SetOnceError(6)));
        assert!(waiting.is_woken());
        assert_eq!(assert_ready!(waiting.poll()), &5);
        assert_eq!(assert_ready!(task::spawn(once.wait()).poll()), &5);
        drop(waiting);
        assert_eq!(once.clone(), SetOnce::from(5));
        assert_eq!(once.into_inner(), Some(5));
    }

    static STARTED: SetOnce<&str> = SetOnce::const_new();

    #[test]
    fn a_value_set_by_another_task_is_seen_in_every_interleaving() {
        crate::check(|| async {
            let once = Arc::new(SetOnce::new());
            let setter = crate::spawn({
                let once = once.clone();
                async move { once.set("ready").unwrap() }
            });
            assert_eq!(*once.wait().await, "ready");
            setter.await.unwrap();
            let _ = STARTED.set("yes");
            assert!(STARTED.initialized());
        });
    }

    #[test]
    fn waiting_for_a_value_nobody_sets_is_a_deadlock_that_names_it() {
        let report = Scenario::new("set_once::never_set").iterations(10).run(|| async {
            let once = SetOnce::<u8>::new();
            once.wait().await;
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
        assert!(report.to_string().contains("blocked in SetOnce::wait on SetOnce@"), "{report}");
    }
}

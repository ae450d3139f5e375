//! `OnceCell`: a value set once, by the first task that gets to initialise it, with tokio's API.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::panic::Location;

use super::once_value::OnceValue;
use super::permits::{self, Permits};
use crate::engine;

/// A value initialised at most once, as `tokio::sync::OnceCell`: concurrent
/// [`get_or_init`](OnceCell::get_or_init)s run one initialiser at a time, and the others
/// wait for its value; if it is cancelled (or fails, for `get_or_try_init`), the next one
/// takes over.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::OnceCell;
/// use std::sync::Arc;
///
/// let config = Arc::new(OnceCell::new());
/// let other = racewright::spawn({
///     let config = config.clone();
///     async move { *config.get_or_init(|| async { "from the task" }).await }
/// });
/// let here = *config.get_or_init(|| async { "from the body" }).await;
/// assert_eq!(here, other.await.unwrap(), "one initialiser ran, both see its value");
/// # });
/// ```
pub struct OnceCell<T> {
    value: OnceValue<T>,
    /// The right to initialise: one permit, closed once the value is stored.
    initialising: Permits,
}

// SAFETY: the value is written once, by the holder of the only permit, and read as `&T`.
unsafe impl<T: Send> Send for OnceCell<T> {}
// SAFETY: as above; sharing the cell shares `&T` between tasks and moves `T` in.
unsafe impl<T: Send + Sync> Sync for OnceCell<T> {}

/// Why [`OnceCell::set`] failed; holds the value.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already has its value.
    AlreadyInitializedError(T),
    /// A task is initialising the cell right now.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// Whether the cell already had its value.
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether a task was initialising the cell.
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetError::AlreadyInitializedError(_) => "AlreadyInitializedError",
            SetError::InitializingError(_) => "InitializingError",
        })
    }
}

impl<T: fmt::Debug> Error for SetError<T> {}

impl<T> OnceCell<T> {
    /// An empty cell.
    #[track_caller]
    pub fn new() -> Self {
        OnceCell::new_with(None)
    }

    /// A cell holding `value`, or an empty one.
    #[track_caller]
    pub fn new_with(value: Option<T>) -> Self {
        let initialising = Permits::new(1, "OnceCell", Location::caller());
        if value.is_some() {
            initialising.close();
        }
        OnceCell { value: OnceValue::new(value), initialising }
    }

    /// An empty cell, in a `const` context (a `static`), as tokio's. See
    /// [`Mutex::const_new`](crate::sync::Mutex::const_new) on statics.
    #[track_caller]
    pub const fn const_new() -> Self {
        OnceCell {
            value: OnceValue::const_new(),
            initialising: Permits::const_new(1, false, "OnceCell", Location::caller()),
        }
    }

    /// A cell holding `value`, in a `const` context, as tokio's.
    #[track_caller]
    pub const fn const_new_with(value: T) -> Self {
        OnceCell {
            value: OnceValue::const_new_with(value),
            initialising: Permits::const_new(0, true, "OnceCell", Location::caller()),
        }
    }

    /// Whether the cell has its value.
    #[track_caller]
    pub fn initialized(&self) -> bool {
        engine::run("OnceCell::initialized", || self.value.is_stored(), bool::to_string)
    }

    /// The value, if the cell has it.
    #[track_caller]
    pub fn get(&self) -> Option<&T> {
        engine::run("OnceCell::get", || self.value.get(), |value| if value.is_some() { "set" } else { "empty" }.into())
    }

    /// The value, for whoever holds the cell alone.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Gives the cell its value, unless it has one (`AlreadyInitializedError`) or a task is
    /// initialising it (`InitializingError`).
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        let at = engine::begin();
        let result = match self.initialising.try_acquire(1) {
            Ok(()) => {
                let stored = self.value.store(value).map(|_| ()).map_err(SetError::AlreadyInitializedError);
                self.initialising.close();
                stored
            }
            Err(permits::TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            Err(permits::TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        };
        engine::record_with("OnceCell::set", at, || match &result {
            Ok(()) => "set".into(),
            Err(error) => error.to_string(),
        });
        result
    }

    /// The value, initialising the cell with `f`'s future if it has none: one task at a
    /// time runs its initialiser, the others wait for the value.
    ///
    /// Cancel safe: a dropped initialiser lets the next waiting task run its own.
    #[track_caller]
    pub fn get_or_init<F, Fut>(&self, f: F) -> impl Future<Output = &T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let at = Location::caller();
        async move {
            let result: Result<&T, std::convert::Infallible> =
                self.initialise("OnceCell::get_or_init", at, || async { Ok(f().await) }).await;
            match result {
                Ok(value) => value,
            }
        }
    }

    /// Like [`get_or_init`](OnceCell::get_or_init), with an initialiser that may fail: then
    /// the cell stays empty, the error comes back, and the next waiting task tries.
    #[track_caller]
    pub fn get_or_try_init<E, F, Fut>(&self, f: F) -> impl Future<Output = Result<&T, E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.initialise("OnceCell::get_or_try_init", Location::caller(), f)
    }

    async fn initialise<E, F, Fut>(
        &self,
        operation: &'static str,
        at: &'static Location<'static>,
        f: F,
    ) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        engine::point().await;
        if let Some(value) = self.value.get() {
            engine::record_with(operation, at, || "already set".into());
            return Ok(value);
        }
        if self.initialising.acquire_held(1, operation, at, Some("initialising".into())).await.is_err() {
            engine::record_with(operation, at, || "set by another task".into());
            return Ok(self.value.get().expect("the cell closes once it has its value"));
        }
        // Given back if this future is dropped, or `f` fails: the next waiter takes over.
        let turn = Turn { permits: &self.initialising, operation, at, done: false };
        let value = f().await?;
        let value = self.value.store(value).ok().expect("only the task with the permit stores a value");
        turn.finish();
        self.initialising.close();
        engine::record_with(operation, at, || "initialised".into());
        Ok(value)
    }

    /// The value, consuming the cell.
    pub fn into_inner(mut self) -> Option<T> {
        self.value.take()
    }

    /// Takes the value out, leaving the cell empty (and ready to be initialised again).
    #[track_caller]
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }
}

/// The permit of a task initialising the cell.
struct Turn<'a> {
    permits: &'a Permits,
    operation: &'static str,
    at: &'static Location<'static>,
    done: bool,
}

impl Turn<'_> {
    /// The value is stored: the permit is not given back (the cell closes), only the hold.
    fn finish(mut self) {
        self.done = true;
        engine::released(self.permits.resource, self.at);
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.permits.release_held(1, true, self.operation, Some("gave up, the next may try".into()), self.at);
        }
    }
}

impl<T> Default for OnceCell<T> {
    #[track_caller]
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        OnceCell::new_with(Some(value))
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    #[track_caller]
    fn clone(&self) -> Self {
        OnceCell::new_with(self.value.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value.get() == other.value.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell").field("value", &self.value.get()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio_test::{assert_pending, assert_ready, task};

    use super::{OnceCell, SetError};
    use crate::sync::Notify;
    use crate::{FailureKind, Scenario};

    #[test]
    fn one_initialiser_runs_however_the_tasks_interleave() {
        crate::check(|| async {
            let cell = Arc::new(OnceCell::new());
            let runs = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..3)
                .map(|n| {
                    let (cell, runs) = (cell.clone(), runs.clone());
                    crate::spawn(async move {
                        *cell
                            .get_or_init(|| async move {
                                runs.fetch_add(1, Ordering::SeqCst);
                                crate::task::yield_now().await;
                                n
                            })
                            .await
                    })
                })
                .collect();
            let mut values = Vec::new();
            for task in tasks {
                values.push(task.await.unwrap());
            }
            assert_eq!(runs.load(Ordering::SeqCst), 1);
            assert!(values.iter().all(|value| Some(value) == cell.get()));
        });
    }

    // After tokio's `tests/sync_once_cell.rs`: a cancelled or failing initialiser lets the
    // next one in, and `set` tells an initialised cell from one being initialised.
    #[test]
    fn a_cancelled_or_failed_initialiser_lets_the_next_one_in() {
        let cell = OnceCell::new();
        let gate = Notify::new();
        let mut first = task::spawn(cell.get_or_init(|| async {
            gate.notified().await;
            1
        }));
        assert_pending!(first.poll());
        assert_eq!(cell.set(9), Err(SetError::InitializingError(9)));
        let mut second = task::spawn(cell.get_or_try_init(|| async { Err::<u32, _>("failed") }));
        assert_pending!(second.poll());
        drop(first);
        assert!(second.is_woken());
        assert_eq!(assert_ready!(second.poll()), Err("failed"));
        drop(second);
        assert_eq!(assert_ready!(task::spawn(cell.get_or_init(|| async { 2 })).poll()), &2);
        assert!(cell.set(3).unwrap_err().is_already_init_err());
        assert!(cell.initialized());
    }

    #[test]
    fn take_empties_the_cell_for_a_new_value() {
        let mut cell = OnceCell::from(1);
        assert_eq!(cell.get_mut(), Some(&mut 1));
        assert_eq!(cell.take(), Some(1));
        assert!(!cell.initialized());
        cell.set(2).unwrap();
        assert_eq!(cell.clone(), OnceCell::new_with(Some(2)));
        assert_eq!(format!("{cell:?}"), "OnceCell { value: Some(2) }");
        assert_eq!(cell.into_inner(), Some(2));
    }

    static CONFIG: OnceCell<u32> = OnceCell::const_new();
    static PRESET: OnceCell<&str> = OnceCell::const_new_with("preset");

    #[test]
    fn static_cells() {
        crate::check(|| async {
            assert_eq!(*CONFIG.get_or_init(|| async { 42 }).await, 42);
            assert_eq!(PRESET.get(), Some(&"preset"));
            assert!(PRESET.set("other").unwrap_err().is_already_init_err());
        });
    }

    #[test]
    fn waiting_for_an_initialiser_that_waits_for_us_is_a_deadlock_that_names_the_cell() {
        let report = Scenario::new("once_cell::init_cycle").iterations(20).run(|| async {
            let cell = Arc::new(OnceCell::<u32>::new());
            let go = Arc::new(Notify::new());
            let (started_tx, started) = crate::sync::oneshot::channel();
            let initialiser = crate::spawn({
                let (cell, go) = (cell.clone(), go.clone());
                async move {
                    let value = cell.get_or_init(|| async move {
                        started_tx.send(()).unwrap();
                        go.notified().await;
                        1
                    });
                    *value.await
                }
            });
            started.await.unwrap();
            // The bug: the initialiser waits for us, and we wait for its value.
            cell.get_or_init(|| async { 2 }).await;
            go.notify_one();
            initialiser.await.unwrap();
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
        let text = report.to_string();
        assert!(text.contains("blocked in OnceCell::get_or_init on OnceCell@"), "{text}");
        assert!(text.contains("held by #1"), "the initialiser holds the cell: {text}");
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let cell = Arc::new(OnceCell::new());
        let other = tokio::spawn({
            let cell = cell.clone();
            async move { *cell.get_or_init(|| async { 1 }).await }
        });
        let here = *cell.get_or_init(|| async { 2 }).await;
        assert_eq!(here, other.await.unwrap());
    }
}

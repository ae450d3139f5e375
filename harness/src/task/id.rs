//! `task::Id`, `task::id()` and `task::try_id()`.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;

use crate::model::tasks::TaskId;
use crate::run::execution;

/// An opaque id of a spawned task, unique among the tasks alive at the same time, as
/// `tokio::task::Id`.
///
/// Inside a run it is the task's number in the report (`#2` is `Id(2)`): ids are given in
/// spawn order, the same in every execution of a schedule. Outside a run it is tokio's id.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::task;
///
/// let handle = task::spawn(async { task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// // The test body runs as `block_on` runs a future: not in a task.
/// assert_eq!(task::try_id(), None);
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl Id {
    /// The id of a spawned task of the running execution (never the body, which is no task).
    pub(crate) fn of(task: TaskId) -> Option<Id> {
        NonZeroU64::new(task.0 as u64).map(Id)
    }

    /// The id of a local task of a run (they are numbered apart from the report's tasks).
    pub(crate) fn of_local(id: u64) -> Id {
        Id(NonZeroU64::new(id).expect("local task ids start at 1"))
    }

    /// tokio's id of a task, with its number.
    pub(crate) fn of_tokio(id: tokio::task::Id) -> Id {
        // tokio shows the number and nothing else; it is its only public form.
        Id(id.to_string().parse().expect("tokio's task ids are non-zero numbers"))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// The id of the running task, as `tokio::task::id`.
///
/// # Panics
/// Outside a task (the test body, a `block_on`, a thread), as tokio's.
#[track_caller]
pub fn id() -> Id {
    try_id().expect("Can't get a task id when not inside a task")
}

thread_local! {
    /// The task whose output is being dropped (see [`as_task`]).
    static DROPPING_FOR: Cell<Option<Id>> = const { Cell::new(None) };
}

/// Runs `drop_output` as the task `id`, whose output it drops: `task::id()` is `id`
/// meanwhile, as tokio drops a task's output under the task's id (a `Drop` of the output
/// may ask for it), whoever drops the `JoinHandle`.
pub(crate) fn as_task(id: Id, drop_output: impl FnOnce()) {
    /// Puts back what was there, even if the drop panics.
    struct Restore(Option<Id>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DROPPING_FOR.with(|dropping| dropping.set(self.0));
        }
    }
    let _restore = Restore(DROPPING_FOR.with(|dropping| dropping.replace(Some(id))));
    drop_output();
}

/// The id of the running task, or `None` outside a task, as `tokio::task::try_id`.
pub fn try_id() -> Option<Id> {
    if let Some(id) = DROPPING_FOR.with(Cell::get) {
        return Some(id);
    }
    match execution::with(|state| state.current_task()) {
        Some(task) => Id::of(task),
        None => tokio::task::try_id().map(Id::of_tokio),
    }
}

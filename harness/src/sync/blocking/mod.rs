//! Blocking primitives with std's API (`std::sync::{Mutex, RwLock, Condvar}`), for the
//! code that takes a short lock inside async code, and the bugs that come with it.
//!
//! Blocking here blocks the whole task, as a `std::sync::Mutex` blocks the worker
//! thread that polls the task: a guard held across an `.await` while another task
//! waits for the lock, two locks taken in opposite orders, a lock taken twice by the
//! same task. Every `lock`, `read`, `write` and `wait` is a scheduling point and an
//! event of the trace. Re-locking a lock the task already holds is reported as a
//! deadlock at once; the other deadlocks when every task is blocked, with what each
//! one waits for.
//!
//! Built once on the engine's seam (`engine::park`, `engine::Unparker`), so outside
//! an exploration they park the OS thread and behave as std's, poisoning included.
//! Their guards are not `Send`, as std's.
//!
//! ```
//! # racewright::check(|| async {
//! use racewright::sync::blocking::Mutex;
//! use std::sync::Arc;
//!
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let task = racewright::spawn({
//!     let log = log.clone();
//!     async move { log.lock().unwrap().push("task") }
//! });
//! log.lock().unwrap().push("body");
//! task.await.unwrap();
//! assert_eq!(log.lock().unwrap().len(), 2);
//! # });
//! ```

mod condvar;
mod mutex;
mod raw;
mod rwlock;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use std::fmt;

use crate::engine::{self, TaskId};

/// Who holds a lock or waits for one: a task inside an exploration, a thread outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    Task(TaskId),
    Thread(std::thread::ThreadId),
}

impl Holder {
    /// The running task, or the running thread outside an exploration.
    pub(crate) fn current() -> Holder {
        engine::current_task().map_or_else(|| Holder::Thread(std::thread::current().id()), Holder::Task)
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Task(task) => write!(f, "{task}"),
            Holder::Thread(thread) => write!(f, "thread {thread:?}"),
        }
    }
}

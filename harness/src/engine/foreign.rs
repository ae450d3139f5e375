//! What threads outside the execution ask of its tasks.
//!
//! A `std::thread` the code under test starts during a run is no task of the execution:
//! it cannot take a scheduling point or touch the engine's state. What it asks (aborting a
//! task) is posted here, and the execution's own thread carries it out at its next
//! scheduling point, or when every task is blocked.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::ThreadId;

use super::RawAbort;

/// Requests not yet carried out, by the thread of the execution they are for.
static POSTED: Mutex<Vec<(ThreadId, RawAbort)>> = Mutex::new(Vec::new());
/// `POSTED.len()`, read without the lock at every scheduling point.
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// Whether the calling thread is `home`, the thread of the execution a task belongs to.
pub(super) fn is_home(home: ThreadId) -> bool {
    this_thread() == home
}

thread_local! {
    static THIS_THREAD: std::cell::Cell<Option<ThreadId>> = const { std::cell::Cell::new(None) };
}

/// The calling thread's id, kept: `thread::current()` takes and lets go of a reference to
/// the thread's handle (two atomic read-modify-writes) at every spawn.
pub(super) fn this_thread() -> ThreadId {
    THIS_THREAD.with(|cell| match cell.get() {
        Some(id) => id,
        None => {
            let id = std::thread::current().id();
            cell.set(Some(id));
            id
        }
    })
}

/// Posts the abort of a task whose execution runs on `home`.
pub(super) fn post_abort(home: ThreadId, abort: RawAbort) {
    let mut posted = POSTED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    posted.push((home, abort));
    PENDING.store(posted.len(), Ordering::Release);
}

/// Carries out the requests posted for the calling thread's execution.
pub(crate) fn carry_out() {
    if PENDING.load(Ordering::Acquire) == 0 {
        return;
    }
    let here = this_thread();
    let mine: Vec<RawAbort> = {
        let mut posted = POSTED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (mine, others) = std::mem::take(&mut *posted).into_iter().partition(|(home, _)| *home == here);
        *posted = others;
        PENDING.store(posted.len(), Ordering::Release);
        mine.into_iter().map(|(_, abort)| abort).collect()
    };
    for abort in mine {
        abort.abort();
    }
}

//! A task parked in a blocking primitive, on shuttle: blocked until another task unparks
//! it, with `std::thread::park`'s token (an unpark before the park lets it return at once).
//!
//! Shuttle's own `thread::park` lets a parked task wake spuriously, so shuttle offers it
//! at every decision among the tasks that can run, for the supervisor to leave out again
//! (racewright's primitives re-check their condition, but never count on a spurious
//! wakeup). Blocked without spurious wakeups, it is offered only once unparked: the
//! decisions are the same, and shuttle's list of choices holds only real ones.

use std::cell::RefCell;

use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::task::TaskId;

/// Where one task stands with parking.
#[derive(Clone, Copy, Default)]
struct Parking {
    /// Inside [`park`]: blocked, or unparked and not run since.
    in_park: bool,
    /// Unparked while not blocked in [`park`]: its next park returns at once.
    token: bool,
}

thread_local! {
    /// The parking of each task of the execution running on this thread, by shuttle's id.
    static PARKING: RefCell<Vec<Parking>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on `task`'s parking.
fn parking_of<R>(task: TaskId, f: impl FnOnce(&mut Parking) -> R) -> R {
    PARKING.with(|parking| {
        let mut parking = parking.borrow_mut();
        let index = usize::from(task);
        if parking.len() <= index {
            parking.resize(index + 1, Parking::default());
        }
        f(&mut parking[index])
    })
}

/// Forgets the parking of the execution before (shuttle numbers each execution's tasks
/// from 0).
pub(super) fn reset() {
    PARKING.with(|parking| parking.borrow_mut().clear());
}

/// Blocks the running task until [`unpark`], unless an unpark came first.
pub(super) fn park() {
    let (me, blocks) = ExecutionState::with(|state| {
        let task = state.current_mut();
        let me = task.id();
        let blocks = parking_of(me, |parking| {
            if std::mem::take(&mut parking.token) {
                return false;
            }
            parking.in_park = true;
            task.block(false);
            true
        });
        (me, blocks)
    });
    if blocks {
        // As shuttle's park: a wait, not a task that could go on and was switched away from.
        ExecutionState::request_yield();
        shuttle_engine::runtime::thread::switch();
        parking_of(me, |parking| parking.in_park = false);
    }
}

/// Wakes `task` from [`park`], or lets its next park return at once.
pub(crate) fn unpark(task: TaskId) {
    // Outside its execution (a waker kept past it) there is nobody to wake.
    let _ = ExecutionState::try_with(|state| {
        let Some(waiter) = state.try_get_mut(task) else { return };
        parking_of(task, |parking| {
            if parking.in_park && waiter.blocked() {
                waiter.unblock();
            } else {
                parking.token = true;
            }
        });
    });
}

/// Blocks `task` again if it was unparked and has not run since (it is still inside
/// [`park`]); whether it did.
pub(crate) fn repark(task: TaskId) -> bool {
    ExecutionState::try_with(|state| {
        let Some(waiter) = state.try_get_mut(task) else { return false };
        parking_of(task, |parking| {
            if !(parking.in_park && waiter.runnable()) || std::mem::take(&mut parking.token) {
                return false;
            }
            waiter.block(false);
            true
        })
    })
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use crate::Scenario;
    use crate::engine::{self, Unparker};

    #[test]
    fn an_unpark_before_the_park_lets_it_return_at_once() {
        let report = Scenario::new("park::token").iterations(20).run(|| async {
            let me = Unparker::for_current();
            me.unpark();
            // Without the token the only task would wait forever: a deadlock.
            engine::park();
            // Taken: a second unpark is needed for a second park.
            me.unpark();
            engine::park();
        });
        assert!(report.failure().is_none(), "{report}");
    }

    #[test]
    fn a_task_unparked_and_not_run_since_parks_again_until_the_next_unpark() {
        let report = Scenario::new("park::repark").iterations(100).run(|| async {
            let in_park = Arc::new(AtomicBool::new(false));
            let returned = Arc::new(AtomicUsize::new(0));
            let unparker = Arc::new(Mutex::new(None));
            let task = crate::spawn({
                let (in_park, returned, unparker) = (in_park.clone(), returned.clone(), unparker.clone());
                async move {
                    *unparker.lock().unwrap() = Some(Unparker::for_current());
                    // No scheduling point from here into the park: once another task
                    // sees the flag, this one is blocked inside it.
                    in_park.store(true, Ordering::SeqCst);
                    engine::park();
                    returned.fetch_add(1, Ordering::SeqCst);
                }
            });
            let waiter = loop {
                if in_park.load(Ordering::SeqCst) {
                    break unparker.lock().unwrap().clone().expect("its unparker");
                }
                crate::task::yield_now().await;
            };
            waiter.unpark();
            assert!(waiter.repark(), "unparked and not run since: parked again");
            waiter.unpark();
            task.await.unwrap();
            assert_eq!(returned.load(Ordering::SeqCst), 1, "one return from the park");
            assert!(!waiter.repark(), "a finished task is not parked again");

            // A task that can run but is not inside `park` is never blocked by a re-park.
            let unparker = Arc::new(Mutex::new(None));
            let other = crate::spawn({
                let unparker = unparker.clone();
                async move {
                    *unparker.lock().unwrap() = Some(Unparker::for_current());
                    for _ in 0..3 {
                        crate::task::yield_now().await;
                    }
                }
            });
            let runnable = loop {
                if let Some(unparker) = unparker.lock().unwrap().clone() {
                    break unparker;
                }
                crate::task::yield_now().await;
            };
            assert!(!runnable.repark(), "not inside park: left to run");
            other.await.unwrap();
        });
        assert!(report.failure().is_none(), "{report}");
    }
}

//! The virtual clock and the pending timers of one execution.
//!
//! No real time passes: the clock starts at zero and moves only when a timer fires,
//! which the idle task does when every task is blocked (`time = "idle"`), or when the
//! strategy chooses to (`time = "any"`). Timers fire in deadline order, ties in the
//! order they were set.

use std::collections::BTreeMap;
use std::task::Waker;
use std::time::Duration;

use crate::model::tasks::TaskId;

/// A timer of the current execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TimerId(u64);

/// A deadline at or past this never comes (`sleep(Duration::MAX)`): its timer never
/// fires, and a task waiting only for it is deadlocked.
pub(crate) const NEVER: Duration = Duration::MAX;

#[derive(Default)]
pub(crate) struct Timers {
    /// Virtual time since the execution started.
    now: Duration,
    next_id: u64,
    /// Pending timers by deadline, then creation order, with the task that set each;
    /// never holds a deadline of `NEVER`.
    pending: BTreeMap<(Duration, u64), (Waker, TaskId)>,
}

impl Timers {
    /// The virtual time.
    pub(crate) fn now(&self) -> Duration {
        self.now
    }

    /// Sets a timer of `owner` for `deadline`; `waker` is woken when it fires.
    pub(crate) fn set(&mut self, deadline: Duration, waker: &Waker, owner: TaskId) -> TimerId {
        let id = self.next_id;
        self.next_id += 1;
        if deadline < NEVER {
            self.pending.insert((deadline, id), (waker.clone(), owner));
        }
        TimerId(id)
    }

    /// Replaces the waker of a pending timer.
    pub(crate) fn update(&mut self, id: TimerId, deadline: Duration, waker: &Waker) {
        if let Some((stored, _)) = self.pending.get_mut(&(deadline, id.0)) {
            if !stored.will_wake(waker) {
                *stored = waker.clone();
            }
        }
    }

    /// Forgets a timer whose future was dropped or no longer needs it.
    pub(crate) fn cancel(&mut self, id: TimerId, deadline: Duration) {
        self.pending.remove(&(deadline, id.0));
    }

    /// How many timers can still fire.
    #[cfg(test)]
    pub(crate) fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Whether some timer can still fire.
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether `task` set a timer that can still fire.
    pub(crate) fn owned_by(&self, task: TaskId) -> bool {
        self.pending.values().any(|(_, owner)| *owner == task)
    }

    /// Moves the clock forward by `by` (`time::advance`) and fires every timer due by then,
    /// in deadline order. Returns the new time and the fired timers' owners and wakers.
    pub(crate) fn advance(&mut self, by: Duration) -> (Duration, Vec<(TaskId, Waker)>) {
        self.now = self.now.saturating_add(by).min(NEVER - Duration::from_nanos(1));
        let mut wakers = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let (_, (waker, owner)) = entry.remove_entry();
            wakers.push((owner, waker));
        }
        (self.now, wakers)
    }

    /// Moves the clock to the earliest deadline and fires every timer due then.
    /// Returns the fired timers' owners and wakers (to wake outside any borrow), or `None`
    /// if no timer is pending.
    pub(crate) fn fire_next(&mut self) -> Option<(Duration, Vec<(TaskId, Waker)>)> {
        let (&(deadline, _), _) = self.pending.first_key_value()?;
        self.now = self.now.max(deadline);
        let mut wakers = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let (_, (waker, owner)) = entry.remove_entry();
            wakers.push((owner, waker));
        }
        Some((self.now, wakers))
    }
}

/// `1h 2m 3.5s`-like rendering of a virtual time, for reports.
pub(crate) fn display(time: Duration) -> String {
    if time.subsec_nanos() == 0 && time.as_secs() > 0 {
        format!("{}s", time.as_secs())
    } else if time.as_nanos() % 1_000_000 == 0 {
        format!("{}ms", time.as_millis())
    } else if time.as_nanos() % 1_000 == 0 {
        format!("{}us", time.as_micros())
    } else {
        format!("{}ns", time.as_nanos())
    }
}

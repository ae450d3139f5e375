//! `Condvar`: std's condition variable, whose every `wait` and `notify` is explored.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::sync::{LockResult, PoisonError};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use smallvec::SmallVec;

use super::Holder;
use super::mutex::MutexGuard;
use crate::engine::{self, Resource, StateGuard, StateLock, Unparker};
use crate::sync::wait_list::WaitList;

/// A condition variable, as `std::sync::Condvar`: `wait` releases the mutex and blocks
/// the whole task until another notifies it, then takes the mutex again.
///
/// A notification with nobody waiting is lost, as with std: the trace says so, so a
/// lost wakeup shows in the report (every task blocked, the last `notify` woke nobody).
/// Unlike std's, `wait` does not return spuriously. Inside an exploration the timeout of
/// `wait_timeout` is on the execution's virtual clock: it fires when every task is
/// blocked (or, with `time = "any"`, when the strategy lets time pass). Outside an
/// exploration the timeout is real time.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::blocking::{Condvar, Mutex};
/// use std::sync::Arc;
///
/// let ready = Arc::new((Mutex::new(false), Condvar::new()));
/// let producer = racewright::spawn({
///     let ready = ready.clone();
///     async move {
///         *ready.0.lock().unwrap() = true;
///         ready.1.notify_one();
///     }
/// });
/// let (flag, condvar) = &*ready;
/// let flag = condvar.wait_while(flag.lock().unwrap(), |ready| !*ready).unwrap();
/// assert!(*flag);
/// drop(flag);
/// producer.await.unwrap();
/// # });
/// ```
pub struct Condvar {
    /// Tasks in `wait`, oldest first; a notification takes a waiter off.
    waiters: StateLock<WaitList<Waiter>>,
    resource: Resource,
}

struct Waiter {
    who: Holder,
    unparker: Unparker,
}

/// Whether a timed wait of a [`Condvar`] returned because its time was up, as std's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// The wait returned because the timeout elapsed, not because of a notification.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    /// A new condition variable. Not `const`, unlike std's: it records where it was
    /// created, to name it in reports.
    #[track_caller]
    pub fn new() -> Condvar {
        Condvar { waiters: StateLock::default(), resource: Resource::blocking("blocking::Condvar", Location::caller()) }
    }

    /// Releases `guard`'s mutex, blocks the task until notified, and locks the mutex
    /// again. `Err` (with the guard) if the mutex is poisoned once re-locked.
    #[track_caller]
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let (guard, _) = self.wait_until(guard, None, "blocking::Condvar::wait", Location::caller());
        guard
    }

    /// Waits while `condition` holds for the protected value, as std's: checks it
    /// first, then after each notification.
    #[track_caller]
    pub fn wait_while<'a, T: ?Sized, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        let at = Location::caller();
        while condition(&mut *guard) {
            guard = self.wait_until(guard, None, "blocking::Condvar::wait_while", at).0?;
        }
        Ok(guard)
    }

    /// Like [`wait`](Self::wait), for at most `timeout`.
    ///
    /// Inside an exploration the timeout is on the execution's virtual clock.
    #[track_caller]
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let mut deadline = deadline(timeout);
        let (guard, result) =
            self.wait_until(guard, deadline.as_mut(), "blocking::Condvar::wait_timeout", Location::caller());
        match guard {
            Ok(guard) => Ok((guard, result)),
            Err(poisoned) => Err(PoisonError::new((poisoned.into_inner(), result))),
        }
    }

    /// Like [`wait_while`](Self::wait_while), for at most `timeout` in all.
    ///
    /// Inside an exploration the timeout is on the execution's virtual clock.
    #[track_caller]
    pub fn wait_timeout_while<'a, T: ?Sized, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        timeout: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        let at = Location::caller();
        let mut deadline = deadline(timeout);
        while condition(&mut *guard) {
            let (next, result) = self.wait_until(guard, deadline.as_mut(), "blocking::Condvar::wait_timeout_while", at);
            guard = match next {
                Ok(guard) => guard,
                Err(poisoned) => return Err(PoisonError::new((poisoned.into_inner(), result))),
            };
            if result.timed_out() {
                // std checks the condition a last time once the time is up.
                let timed_out = condition(&mut *guard);
                return Ok((guard, WaitTimeoutResult(timed_out)));
            }
        }
        Ok((guard, WaitTimeoutResult(false)))
    }

    /// Wakes the task that has waited longest, if any; the notification is lost otherwise.
    #[track_caller]
    pub fn notify_one(&self) {
        let at = engine::begin_preemptive();
        let woken = self.waiters().pop_front();
        engine::record_with("blocking::Condvar::notify_one", at, || match &woken {
            Some(waiter) => format!("woke {}", waiter.who),
            None => "lost: nobody waits".to_string(),
        });
        if let Some(waiter) = woken {
            waiter.unparker.unpark();
        }
    }

    /// Wakes every waiting task.
    #[track_caller]
    pub fn notify_all(&self) {
        let at = engine::begin_preemptive();
        let woken: SmallVec<[Waiter; 4]> = self.waiters().take_all().collect();
        engine::record_with("blocking::Condvar::notify_all", at, || match woken.len() {
            0 => "lost: nobody waits".to_string(),
            _ => format!("woke {}", woken.iter().map(|waiter| waiter.who.to_string()).collect::<Vec<_>>().join(", ")),
        });
        for waiter in woken {
            waiter.unparker.unpark();
        }
    }

    fn waiters(&self) -> StateGuard<'_, WaitList<Waiter>> {
        // The queue is consistent between statements: a panic cannot leave it half-changed.
        self.waiters.lock()
    }

    /// Every wait: queue up, release the mutex, park until notified or `deadline`, re-lock.
    fn wait_until<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        mut deadline: Option<&mut Deadline>,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> (LockResult<MutexGuard<'a, T>>, WaitTimeoutResult) {
        engine::preemption_point();
        engine::record_with(operation, at, || "releases the mutex and waits".into());
        let id = self.waiters().push(Waiter { who: Holder::current(), unparker: Unparker::for_current() });
        // Queued before the mutex is released: a notifier that takes it next sees us.
        let mutex = guard.unlock_for_wait();
        let queued = || self.waiters().contains(id);
        let mut timed_out = false;
        while queued() {
            if deadline.as_mut().is_some_and(|deadline| deadline.passed()) {
                // A notification may have come just now: it wins over the timeout.
                timed_out = self.waiters().remove(id).is_some();
                break;
            }
            engine::block(operation, at, Some(self.resource));
            park_until(deadline.as_deref());
        }
        // Woken inside its poll, the task is not polled anew: clear its wait here.
        engine::set_wait(None);
        (mutex.lock_as(operation, at), WaitTimeoutResult(timed_out))
    }
}

/// When a timed wait ends: on the execution's virtual clock inside an exploration (a
/// timer that unparks the waiter when it fires), on real time outside.
enum Deadline {
    Virtual(engine::Timer),
    Real(Instant),
}

impl Deadline {
    /// Whether the deadline has come; a virtual one registers to unpark this task then.
    fn passed(&mut self) -> bool {
        match self {
            Deadline::Real(deadline) => Instant::now() >= *deadline,
            Deadline::Virtual(timer) => {
                let waker = Waker::from(Arc::new(UnparkOnWake(Unparker::for_current())));
                timer.poll(&mut Context::from_waker(&waker)).is_ready()
            }
        }
    }
}

/// A waker that unparks a parked task: how a timer reaches a blocking wait.
struct UnparkOnWake(Unparker);

impl Wake for UnparkOnWake {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// When a wait of `timeout` from now ends; `None` for a timeout too long to count.
fn deadline(timeout: Duration) -> Option<Deadline> {
    if engine::in_execution() {
        let deadline = engine::after(engine::now(), timeout);
        (deadline < engine::NEVER).then(|| Deadline::Virtual(engine::Timer::new(deadline)))
    } else {
        Instant::now().checked_add(timeout).map(Deadline::Real)
    }
}

/// Parks until unparked or, outside an exploration, until `deadline` (a virtual deadline
/// unparks the task itself when its timer fires).
fn park_until(deadline: Option<&Deadline>) {
    match deadline {
        // `engine` has no timed park; outside an exploration it parks the OS thread, so
        // the timed form is std's.
        Some(Deadline::Real(deadline)) => std::thread::park_timeout(deadline.saturating_duration_since(Instant::now())),
        _ => engine::park(),
    }
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Self {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Arc;

    use super::*;
    use crate::sync::blocking::Mutex;
    use crate::{FailureKind, Scenario};

    type Queue = Arc<(Mutex<VecDeque<u32>>, Condvar)>;

    fn produce(queue: &Queue, items: std::ops::Range<u32>) {
        let (items_lock, condvar) = &**queue;
        for item in items {
            items_lock.lock().unwrap().push_back(item);
            condvar.notify_one();
        }
    }

    fn consume(queue: &Queue, count: usize) -> Vec<u32> {
        let (items_lock, condvar) = &**queue;
        let mut taken = Vec::new();
        while taken.len() < count {
            let mut items = condvar.wait_while(items_lock.lock().unwrap(), |items| items.is_empty()).unwrap();
            taken.extend(items.drain(..));
        }
        taken
    }

    #[test]
    fn outside_a_run_it_is_std_condvar() {
        let queue: Queue = Arc::default();
        let producer = std::thread::spawn({
            let queue = queue.clone();
            move || produce(&queue, 0..100)
        });
        assert_eq!(consume(&queue, 100), (0..100).collect::<Vec<_>>());
        producer.join().unwrap();

        // Nobody notifies: the timeout is real time outside a run.
        let (items, condvar) = &*queue;
        let (guard, result) = condvar.wait_timeout(items.lock().unwrap(), Duration::from_millis(10)).unwrap();
        assert!(result.timed_out());
        let (guard, result) =
            condvar.wait_timeout_while(guard, Duration::from_millis(10), |items| items.is_empty()).unwrap();
        assert!(result.timed_out() && guard.is_empty());
        drop(guard);
        condvar.notify_all();
    }

    #[test]
    fn a_producer_and_a_consumer_pass() {
        let report = Scenario::new("blocking::condvar::producer_consumer").iterations(200).run(|| async {
            let queue: Queue = Arc::default();
            let producer = crate::spawn({
                let queue = queue.clone();
                async move { produce(&queue, 0..3) }
            });
            let consumer = crate::spawn({
                let queue = queue.clone();
                async move { consume(&queue, 3) }
            });
            producer.await.unwrap();
            assert_eq!(consumer.await.unwrap(), vec![0, 1, 2]);
        });
        assert!(report.failure().is_none(), "{report}");
    }

    #[test]
    fn waiting_without_checking_the_condition_loses_the_wakeup() {
        let report = Scenario::new("blocking::condvar::lost_wakeup").iterations(200).run(|| async {
            let pair = Arc::new((Mutex::new(false), Condvar::new()));
            let notifier = crate::spawn({
                let pair = pair.clone();
                async move {
                    *pair.0.lock().unwrap() = true;
                    pair.1.notify_one();
                }
            });
            let (flag, condvar) = &*pair;
            // The bug: the flag may already be set, and then nobody notifies again.
            let flag = condvar.wait(flag.lock().unwrap()).unwrap();
            assert!(*flag);
            drop(flag);
            notifier.await.unwrap();
        });
        println!("{report}");
        let failure = report.failure().expect("some interleaving notifies first");
        assert_eq!(failure.kind(), FailureKind::Deadlock);
        assert!(failure.details().iter().any(|line| line.contains("blocking::Condvar::wait")), "{report}");
        assert!(report.to_json().contains("lost: nobody waits"), "{report}");
    }

    #[test]
    fn inside_a_run_a_timeout_fires_on_the_virtual_clock() {
        let report = Scenario::new("blocking::condvar::timeout").iterations(10).run(|| async {
            let pair = (Mutex::new(()), Condvar::new());
            let (_guard, result) = pair.1.wait_timeout(pair.0.lock().unwrap(), Duration::from_millis(1)).unwrap();
            assert!(result.timed_out());
        });
        assert!(report.failure().is_none(), "{report}");
    }

    #[test]
    fn inside_a_run_an_untimed_wait_nobody_notifies_is_a_deadlock() {
        let report = Scenario::new("blocking::condvar::forever").iterations(10).run(|| async {
            let pair = (Mutex::new(()), Condvar::new());
            let _guard = pair.1.wait(pair.0.lock().unwrap()).unwrap();
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    }
}

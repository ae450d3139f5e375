//! `Notify`: wakes one waiting task, or all of them, with tokio's stored-permit semantics.

// `watch` and `mpsc` wait on a `Notify` internally, as tokio's do (see `Notify::waiter`).

mod notified;

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::task::Waker;

pub use notified::{Notified, OwnedNotified};

use super::wait_list::WaitList;
use crate::engine::{self, Resource, StateGuard, StateLock};
use notified::Registration;

/// Notifies tasks, as `tokio::sync::Notify`.
///
/// [`notify_one`](Notify::notify_one) wakes the oldest waiting [`Notified`]; when nobody
/// waits, it stores one permit that the next `notified().await` takes at once.
/// [`notify_waiters`](Notify::notify_waiters) completes every `Notified` created before the
/// call and stores nothing: a task that creates its `Notified` after the call misses it.
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::Notify;
/// use std::sync::Arc;
///
/// let notify = Arc::new(Notify::new());
/// let waiter = racewright::spawn({
///     let notify = notify.clone();
///     async move { notify.notified().await }
/// });
/// // Whether the task waits already or not: the permit is kept for it.
/// notify.notify_one();
/// waiter.await.unwrap();
/// # });
/// ```
pub struct Notify {
    state: StateLock<State>,
    resource: Resource,
}

#[derive(Debug)]
struct State {
    /// A `notify_one` found nobody to notify; the next `Notified` takes it.
    permit: bool,
    /// How many times `notify_waiters` was called: a `Notified` created before a call completes.
    waiters_calls: u64,
    /// The registered `Notified`s, oldest first, notified or not yet.
    waiters: WaitList<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    /// `None` while registered by `enable` and never polled.
    waker: Option<Waker>,
    /// What completed it; `None` while it still waits.
    notification: Option<Notification>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notification {
    /// By `notify_one` or `notify_last`: passed on if the `Notified` is dropped unconsumed.
    One(Strategy),
    /// By `notify_waiters`.
    All,
}

/// Which waiter a single notification goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    /// The oldest: `notify_one`.
    Fifo,
    /// The newest: `notify_last`.
    Lifo,
}

impl State {
    /// Hands one notification to a waiter that has none yet, or stores it as the permit.
    /// Returns whether a waiter got it, and that waiter's waker.
    fn notify_one(&mut self, strategy: Strategy) -> (bool, Option<Waker>) {
        let mut candidates = self.waiters.iter_mut().filter(|waiter| waiter.notification.is_none());
        let chosen = match strategy {
            Strategy::Fifo => candidates.next(),
            Strategy::Lifo => candidates.next_back(),
        };
        match chosen {
            Some(waiter) => {
                waiter.notification = Some(Notification::One(strategy));
                (true, waiter.waker.take())
            }
            None => {
                self.permit = true;
                (false, None)
            }
        }
    }

    /// Completes every waiter, and every `Notified` not yet registered; returns the wakers.
    fn notify_all(&mut self) -> Vec<Waker> {
        self.waiters_calls += 1;
        self.waiters
            .iter_mut()
            .filter(|waiter| waiter.notification.is_none())
            .filter_map(|waiter| {
                waiter.notification = Some(Notification::All);
                waiter.waker.take()
            })
            .collect()
    }
}

impl Notify {
    /// A `Notify` with no permit stored and nobody waiting.
    #[track_caller]
    pub fn new() -> Notify {
        Notify::for_resource(Resource::new("Notify", Location::caller()))
    }

    /// A `Notify` with no permit stored and nobody waiting, in a `const` context (a
    /// `static`), as tokio's. See [`Mutex::const_new`](crate::sync::Mutex::const_new) on statics.
    #[track_caller]
    pub const fn const_new() -> Notify {
        Notify::const_for_resource(Resource::new_const("Notify", Location::caller()))
    }

    /// [`for_resource`](Notify::for_resource) in a `const` context.
    pub(crate) const fn const_for_resource(resource: Resource) -> Notify {
        Notify {
            state: StateLock::const_new(State { permit: false, waiters_calls: 0, waiters: WaitList::new() }),
            resource,
        }
    }

    /// A `Notify` that another primitive waits on: waits show up as waits on `resource`.
    pub(crate) fn for_resource(resource: Resource) -> Notify {
        Notify { state: StateLock::new(State { permit: false, waiters_calls: 0, waiters: WaitList::new() }), resource }
    }

    fn lock(&self) -> StateGuard<'_, State> {
        self.state.lock()
    }

    /// A future that completes at the next notification.
    ///
    /// It sees every [`notify_waiters`](Notify::notify_waiters) called after this call, even
    /// if it is first polled later. It takes a `notify_one` when it is polled (or
    /// [enabled](Notified::enable)) and registered as waiting, or the stored permit.
    #[track_caller]
    pub fn notified(&self) -> Notified<'_> {
        let at = Location::caller();
        // The window between a task's check of its condition and this call is where
        // wakeups get lost: the scheduler must be able to run a notifier in it.
        engine::scheduling_point();
        let registration = Registration::new(self, "Notify::notified", at, true);
        engine::record_with("Notify::notified", at, || "created".into());
        Notified::new(self, registration)
    }

    /// Like [`notified`](Notify::notified), for an `Arc`'d `Notify`: the future owns the
    /// `Arc`, so it can move into a task.
    #[track_caller]
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        let at = engine::begin();
        let registration = Registration::new(&self, "Notify::notified_owned", at, true);
        engine::record_with("Notify::notified_owned", at, || "created".into());
        OwnedNotified::new(self, registration)
    }

    /// Wakes the oldest waiting task; if none waits, stores a permit for the next
    /// [`notified`](Notify::notified) (at most one: permits do not add up).
    #[track_caller]
    pub fn notify_one(&self) {
        self.notify(Strategy::Fifo, "Notify::notify_one", Location::caller());
    }

    /// Like [`notify_one`](Notify::notify_one), but wakes the most recently registered waiter.
    #[track_caller]
    pub fn notify_last(&self) {
        self.notify(Strategy::Lifo, "Notify::notify_last", Location::caller());
    }

    fn notify(&self, strategy: Strategy, operation: &'static str, at: &'static Location<'static>) {
        engine::scheduling_point();
        let (delivered, waker) = self.lock().notify_one(strategy);
        engine::record_with(operation, at, || if delivered { "woke one" } else { "stored permit" }.into());
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every [`Notified`] created before this call, whether polled yet or not.
    /// Stores no permit: a `Notified` created afterwards waits for the next notification.
    #[track_caller]
    pub fn notify_waiters(&self) {
        let at = engine::begin();
        let woken = self.wake_waiters();
        engine::record_with("Notify::notify_waiters", at, || format!("woke {woken}"));
    }

    /// `notify_waiters` for another primitive: no scheduling point and no trace event of
    /// its own. Returns how many waiting tasks it woke.
    pub(crate) fn wake_waiters(&self) -> usize {
        let wakers = self.lock().notify_all();
        let woken = wakers.len();
        for waker in wakers {
            waker.wake();
        }
        woken
    }

    /// A [`Notified`] for another primitive to wait on: no scheduling point and no trace
    /// event of its own (the primitive takes and records them); a wait shows as `operation`.
    pub(crate) fn waiter(&self, operation: &'static str, at: &'static Location<'static>) -> Notified<'_> {
        Notified::new(self, Registration::new(self, operation, at, false))
    }
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiters", &state.waiters.iter().filter(|waiter| waiter.notification.is_none()).count())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio_test::{assert_pending, assert_ready, task};

    use super::Notify;
    use crate::{FailureKind, Scenario};

    #[test]
    fn notify_one_with_nobody_waiting_stores_one_permit() {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        assert_ready!(task::spawn(notify.notified()).poll());
        // Permits do not add up.
        assert_pending!(task::spawn(notify.notified()).poll());
    }

    #[test]
    fn notify_one_wakes_the_oldest_waiter_and_stores_nothing() {
        let notify = Notify::new();
        let mut first = task::spawn(notify.notified());
        let mut second = task::spawn(notify.notified());
        assert_pending!(first.poll());
        assert_pending!(second.poll());
        notify.notify_one();
        assert!(first.is_woken());
        assert!(!second.is_woken());
        assert_ready!(first.poll());
        assert_pending!(second.poll());
        assert_pending!(task::spawn(notify.notified()).poll());
    }

    #[test]
    fn notify_last_wakes_the_newest_waiter() {
        let notify = Notify::new();
        let mut first = task::spawn(notify.notified());
        let mut second = task::spawn(notify.notified());
        assert_pending!(first.poll());
        assert_pending!(second.poll());
        notify.notify_last();
        assert!(second.is_woken());
        assert_ready!(second.poll());
        assert_pending!(first.poll());
    }

    #[test]
    fn notify_waiters_completes_the_notified_created_before_it_even_if_unpolled() {
        let notify = Notify::new();
        let mut polled = task::spawn(notify.notified());
        let mut unpolled = task::spawn(notify.notified());
        assert_pending!(polled.poll());
        notify.notify_waiters();
        let mut after = task::spawn(notify.notified());
        assert!(polled.is_woken());
        assert_ready!(polled.poll());
        assert_ready!(unpolled.poll());
        // No permit is stored: a `Notified` created afterwards waits.
        assert_pending!(after.poll());
    }

    #[test]
    fn a_dropped_notified_passes_its_notify_one_on() {
        let notify = Notify::new();
        let mut first = task::spawn(notify.notified());
        let mut second = task::spawn(notify.notified());
        assert_pending!(first.poll());
        assert_pending!(second.poll());
        notify.notify_one();
        drop(first);
        assert!(second.is_woken());
        assert_ready!(second.poll());
    }

    #[test]
    fn a_dropped_notified_with_nobody_to_pass_to_stores_the_permit() {
        let notify = Notify::new();
        let mut only = task::spawn(notify.notified());
        assert_pending!(only.poll());
        notify.notify_one();
        drop(only);
        assert_ready!(task::spawn(notify.notified()).poll());
    }

    #[test]
    fn enable_registers_without_polling() {
        let notify = Notify::new();
        let mut notified = pin!(notify.notified());
        assert!(!notified.as_mut().enable());
        notify.notify_one();
        // The notification went to the enabled future, not to a stored permit.
        assert_pending!(task::spawn(notify.notified()).poll());
        assert_ready!(task::spawn(notified).poll());
    }

    #[test]
    fn notified_owned_moves_into_a_task() {
        let notify = Arc::new(Notify::new());
        let mut owned = task::spawn(notify.clone().notified_owned());
        assert_pending!(owned.poll());
        notify.notify_one();
        assert_ready!(owned.poll());
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let notify = Arc::new(Notify::new());
        let waiter = tokio::spawn({
            let notify = notify.clone();
            async move { notify.notified().await }
        });
        notify.notify_one();
        waiter.await.unwrap();
    }

    #[test]
    fn a_flag_set_before_notify_one_is_never_missed() {
        crate::check(|| async {
            let notify = Arc::new(Notify::new());
            let done = Arc::new(AtomicBool::new(false));
            let setter = crate::spawn({
                let (notify, done) = (notify.clone(), done.clone());
                async move {
                    done.store(true, Ordering::SeqCst);
                    notify.notify_one();
                }
            });
            while !done.load(Ordering::SeqCst) {
                notify.notified().await;
            }
            setter.await.unwrap();
        });
    }

    #[test]
    fn notify_waiters_before_the_notified_is_created_is_a_lost_wakeup() {
        let report = Scenario::new("notify::lost_wakeup").iterations(200).run(|| async {
            let notify = Arc::new(Notify::new());
            let done = Arc::new(AtomicBool::new(false));
            let setter = crate::spawn({
                let (notify, done) = (notify.clone(), done.clone());
                async move {
                    done.store(true, Ordering::SeqCst);
                    notify.notify_waiters();
                }
            });
            // The bug: the check and the registration are not atomic.
            if !done.load(Ordering::SeqCst) {
                notify.notified().await;
            }
            setter.await.unwrap();
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    }

    #[test]
    fn enabling_before_the_check_fixes_the_lost_wakeup() {
        let report = Scenario::new("notify::enable_first").iterations(200).run(|| async {
            let notify = Arc::new(Notify::new());
            let done = Arc::new(AtomicBool::new(false));
            let setter = crate::spawn({
                let (notify, done) = (notify.clone(), done.clone());
                async move {
                    done.store(true, Ordering::SeqCst);
                    notify.notify_waiters();
                }
            });
            let mut notified = pin!(notify.notified());
            notified.as_mut().enable();
            if !done.load(Ordering::SeqCst) {
                notified.await;
            }
            setter.await.unwrap();
        });
        assert!(report.failure().is_none(), "{report}");
    }
}

//! `watch`: a single-value channel whose receivers see the latest value, with tokio's API,
//! whose every send, borrow and wait is explored.
//!
//! Each receiver remembers which version of the value it has seen: [`Receiver::changed`]
//! waits for a newer one, and [`Receiver::borrow_and_update`] marks the current one seen.
//! The channel is closed for the receivers once every sender is dropped, and for the
//! senders while there is no receiver (a [`Sender::subscribe`] reopens it).
//!
//! ```
//! # racewright::check(|| async {
//! use racewright::sync::watch;
//!
//! let (tx, mut rx) = watch::channel("starting");
//! let service = racewright::spawn(async move {
//!     tx.send("ready").unwrap();
//! });
//! // Either the change is already there, or `changed` waits for it.
//! while *rx.borrow_and_update() != "ready" {
//!     rx.changed().await.unwrap();
//! }
//! service.await.unwrap();
//! # });
//! ```
//!
//! A [`Ref`] holds a read lock on the value, as tokio's does: a send waits until it is
//! dropped. Inside an exploration, where every task shares one thread, the sender lets
//! the other tasks run meanwhile, as it would on a multi-threaded runtime; a `Ref` held
//! across an `.await` that waits for the sender itself never ends, and the step limit
//! reports it.

mod receiver;
mod sender;

use std::fmt;
use std::ops::Deref;
use std::panic::Location;
use std::sync::{Arc, Mutex as StdMutex, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

pub use receiver::Receiver;
pub use sender::Sender;

use crate::engine::{self, Resource, StateGuard, StateLock, TaskId};
use crate::sync::notify::Notify;

pub mod error {
    //! The errors of [`watch`](super) channels.

    use std::fmt;

    /// A send failed because there is no receiver; holds the value.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// Every sender was dropped: no new value will come.
    #[derive(Debug, Clone)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}
}

/// A channel holding `init`: the [`Sender`] replaces the value, each [`Receiver`] sees the latest.
#[track_caller]
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let resource = Resource::new("watch::channel", Location::caller());
    // The channel holds its first value from the start.
    engine::channel::opened(resource, None);
    engine::channel::sent(resource, Location::caller(), 1);
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        state: StateLock::new(State { version: 0, senders: 1, receivers: 1 }),
        changed: Notify::for_resource(resource),
        receivers_gone: Notify::for_resource(resource),
        resource,
        borrowers: StdMutex::new(Vec::new()),
    });
    (Sender::from_shared(shared.clone()), Receiver::from_shared(shared, 0))
}

struct Shared<T> {
    value: RwLock<T>,
    state: StateLock<State>,
    /// Wakes the receivers in `changed` at each new value and when the last sender goes.
    changed: Notify,
    /// Wakes the senders in `closed` when the last receiver goes.
    receivers_gone: Notify,
    /// The channel, for reports.
    resource: Resource,
    /// The tasks that hold a [`Ref`] (inside an exploration).
    borrowers: StdMutex<Vec<TaskId>>,
}

#[derive(Debug)]
struct State {
    /// Counts the values sent; changed only while the value's write lock is held, so a
    /// reader holding the read lock sees the version of the value it reads.
    version: u64,
    senders: usize,
    receivers: usize,
}

impl<T> Shared<T> {
    fn lock(&self) -> StateGuard<'_, State> {
        self.state.lock()
    }

    /// Reads the value. Its lock is always taken before the state lock, never after, so
    /// a task waiting here holds nothing another task needs.
    fn read(&self) -> RwLockReadGuard<'_, T> {
        loop {
            match self.value.try_read() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => self.wait_for_value("watch: waits for a send in progress"),
            }
        }
    }

    fn write(&self) -> RwLockWriteGuard<'_, T> {
        loop {
            match self.value.try_write() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    assert!(
                        !self.borrowed_across_an_await(),
                        "watch: a `watch::Ref` of this channel is held across an `.await`, so this send blocks \
                         (on tokio's current-thread runtime, forever); drop the `Ref` before awaiting"
                    );
                    self.wait_for_value("watch: waits for a `watch::Ref` to be dropped");
                }
            }
        }
    }

    /// Reads the value and marks its version seen by a receiver that had seen `seen`;
    /// says whether it was new to it.
    fn read_marking(&self, seen: &mut u64) -> (RwLockReadGuard<'_, T>, bool) {
        let inner = self.read();
        let current = self.lock().version;
        let has_changed = current != *seen;
        *seen = current;
        (inner, has_changed)
    }

    /// Whether a task holds a `Ref` while suspended at an `.await`.
    fn borrowed_across_an_await(&self) -> bool {
        let borrowers = self.borrowers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        borrowers.iter().any(|task| engine::is_suspended(*task))
    }

    /// A [`Ref`] to the value, noting which task holds it.
    fn make_ref<'a>(&'a self, inner: RwLockReadGuard<'a, T>, has_changed: bool) -> Ref<'a, T> {
        let task = engine::current_task();
        if let Some(task) = task {
            self.borrowers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(task);
        }
        Ref { inner, has_changed, _borrow: Borrow { borrowers: &self.borrowers, task } }
    }

    /// Another task holds the value: inside an exploration every task runs on this
    /// thread, so blocking on the lock would block them all; let them run instead, as the
    /// holder would on a multi-threaded runtime. (A `Ref` held across an `.await` that
    /// waits for this very task is then a livelock: the step limit reports it.)
    fn wait_for_value(&self, operation: &'static str) {
        engine::wait(operation, self.resource.created_at, Some(self.resource));
        crate::engine::spin();
    }

    /// Whether a receiver that saw `seen` has a newer value to see, or, if not, whether
    /// every sender is gone; marks the newer value seen.
    fn changed_since(&self, seen: &mut u64) -> Option<Result<(), error::RecvError>> {
        let state = self.lock();
        if *seen != state.version {
            *seen = state.version;
            Some(Ok(()))
        } else if state.senders == 0 {
            Some(Err(error::RecvError(())))
        } else {
            None
        }
    }

    /// Waits for a value newer than `seen`, or for every sender to go.
    async fn wait_for_change(
        &self,
        seen: &mut u64,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<(), error::RecvError> {
        loop {
            // Registered before the check, so a send in between is not missed.
            let notified = self.changed.waiter(operation, at);
            if let Some(result) = self.changed_since(seen) {
                return result;
            }
            notified.await;
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Shared");
        match self.value.try_read() {
            Ok(value) => debug.field("value", &*value),
            Err(_) => debug.field("value", &format_args!("<locked>")),
        };
        debug.field("state", &*self.lock()).finish()
    }
}

/// A borrow of the channel's value; holds a read lock on it until dropped.
///
/// Keep it short: a send waits until every `Ref` is dropped, and a `Ref` held across an
/// `.await` can deadlock the thread (it is `!Send`, so only a task that needs not be
/// `Send`, like the body of a scenario, can try).
pub struct Ref<'a, T> {
    inner: RwLockReadGuard<'a, T>,
    has_changed: bool,
    _borrow: Borrow<'a>,
}

/// Which task holds a [`Ref`], for as long as it does: a send blocked by a `Ref` whose task
/// is suspended at an `.await` is a bug, one whose task is mid-poll only waits.
struct Borrow<'a> {
    borrowers: &'a StdMutex<Vec<TaskId>>,
    task: Option<TaskId>,
}

impl Drop for Borrow<'_> {
    fn drop(&mut self) {
        if let Some(task) = self.task {
            let mut borrowers = self.borrowers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(position) = borrowers.iter().position(|borrower| *borrower == task) {
                borrowers.swap_remove(position);
            }
        }
    }
}

impl<T> Ref<'_, T> {
    /// Whether the value was new to the receiver that borrowed it (always `false` for a
    /// sender's borrow).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use tokio_test::{assert_pending, assert_ready, assert_ready_eq, task};

    use super::channel;
    use super::error::SendError;
    use crate::{FailureKind, Scenario};

    #[test]
    fn changed_waits_for_an_unseen_value_and_marks_it_seen() {
        let (tx, mut rx) = channel(0);
        assert!(!rx.has_changed().unwrap());
        let mut changed = task::spawn(rx.changed());
        assert_pending!(changed.poll());
        tx.send(1).unwrap();
        assert!(changed.is_woken());
        assert_ready_eq!(changed.poll().map_err(drop), Ok(()));
        drop(changed);
        assert!(!rx.has_changed().unwrap());
        assert_eq!(*rx.borrow(), 1);
        tx.send(2).unwrap();
        tx.send(3).unwrap();
        // Two sends, one change: a receiver sees the latest value only.
        let seen = rx.borrow_and_update();
        assert!(seen.has_changed());
        assert_eq!(*seen, 3);
        drop(seen);
        assert_pending!(task::spawn(rx.changed()).poll());
    }

    #[test]
    fn send_needs_a_receiver_but_send_replace_does_not() {
        let (tx, rx) = channel("a");
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send("b"), Err(SendError("b")));
        assert_eq!(tx.send_replace("c"), "a");
        let mut rx = tx.subscribe();
        assert_eq!(tx.receiver_count(), 1);
        // A new receiver has seen the current value.
        assert!(!rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), "c");
        assert!(tx.send("d").is_ok());
    }

    #[test]
    fn once_the_senders_are_gone_changed_reports_the_last_value_then_fails() {
        let (tx, mut rx) = channel(0);
        let tx2 = tx.clone();
        assert_eq!(tx.sender_count(), 2);
        tx.send(1).unwrap();
        drop((tx, tx2));
        assert!(rx.is_closed());
        assert!(rx.has_changed().is_err());
        assert_ready!(task::spawn(rx.changed()).poll()).unwrap();
        assert_ready!(task::spawn(rx.changed()).poll()).unwrap_err();
        assert_eq!(*rx.borrow(), 1);
    }

    #[test]
    fn a_waiting_receiver_learns_that_the_senders_are_gone() {
        let (tx, mut rx) = channel(());
        let mut changed = task::spawn(rx.changed());
        assert_pending!(changed.poll());
        drop(tx);
        assert!(changed.is_woken());
        assert_ready!(changed.poll()).unwrap_err();
    }

    #[test]
    fn send_if_modified_wakes_only_on_a_modification() {
        let (tx, mut rx) = channel(1);
        let mut changed = task::spawn(rx.changed());
        assert_pending!(changed.poll());
        assert!(!tx.send_if_modified(|n| *n % 2 == 0));
        assert!(!changed.is_woken());
        tx.send_modify(|n| *n += 1);
        assert!(changed.is_woken());
        assert_ready!(changed.poll()).unwrap();
        drop(changed);
        assert_eq!(*tx.borrow(), 2);
    }

    #[test]
    fn closed_waits_for_the_last_receiver() {
        let (tx, rx) = channel(());
        let rx2 = rx.clone();
        assert!(rx.same_channel(&rx2));
        let mut closed = task::spawn(tx.closed());
        assert_pending!(closed.poll());
        drop(rx);
        assert_pending!(closed.poll());
        drop(rx2);
        assert!(closed.is_woken());
        assert_ready!(closed.poll());
    }

    #[test]
    fn mark_changed_and_mark_unchanged_move_what_was_seen() {
        let (tx, mut rx) = channel(0);
        rx.mark_changed();
        assert!(rx.has_changed().unwrap());
        rx.mark_unchanged();
        assert!(!rx.has_changed().unwrap());
        tx.send(1).unwrap();
        let clone = rx.clone();
        assert!(clone.has_changed().unwrap());
    }

    #[test]
    fn wait_for_checks_the_current_value_then_waits() {
        let (tx, mut rx) = channel(0);
        tx.send(2).unwrap();
        assert_eq!(*assert_ready!(task::spawn(rx.wait_for(|n| *n == 2)).poll()).unwrap(), 2);
        let mut waiting = task::spawn(rx.wait_for(|n| *n == 3));
        assert_pending!(waiting.poll());
        tx.send(4).unwrap();
        assert!(waiting.is_woken());
        assert_pending!(waiting.poll());
        tx.send(3).unwrap();
        assert!(assert_ready!(waiting.poll()).is_ok());
        drop(waiting);
        drop(tx);
        assert!(assert_ready!(task::spawn(rx.wait_for(|n| *n == 5)).poll()).is_err());
    }

    #[test]
    fn the_futures_can_move_into_tasks() {
        fn send<F: Future + Send>(_: F) {}
        let (tx, mut rx) = channel(String::new());
        send(tx.closed());
        send(rx.changed());
        send(rx.wait_for(String::is_empty));
    }

    // After tokio's `sender_closed_is_cooperative`: a loop on an always-ready `closed()`
    // yields once the task's budget is spent.
    #[tokio::test]
    async fn closed_spends_the_tasks_budget() {
        use futures::FutureExt;
        let (tx, rx) = channel(());
        drop(rx);
        let ready = (0..1000).take_while(|_| tx.closed().now_or_never().is_some()).count();
        assert!(ready < 1000, "never yielded");
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let (tx, mut rx) = channel(0);
        tokio::spawn(async move {
            for n in 1..=3 {
                tx.send(n).unwrap();
                tokio::task::yield_now().await;
            }
        });
        while rx.changed().await.is_ok() {}
        assert_eq!(*rx.borrow(), 3);
    }

    #[test]
    fn waiting_for_the_value_never_misses_it() {
        crate::check(|| async {
            let (tx, mut rx) = channel(false);
            let setter = crate::spawn(async move { tx.send(true).unwrap() });
            assert!(*rx.wait_for(|ready| *ready).await.unwrap());
            setter.await.unwrap();
        });
    }

    #[test]
    fn subscribing_after_the_send_misses_it() {
        let report = Scenario::new("watch::late_subscribe").iterations(100).run(|| async {
            let (tx, _keep) = channel(false);
            let setter = crate::spawn({
                let tx = tx.clone();
                async move { tx.send(true).unwrap() }
            });
            // The bug: a value sent before `subscribe` counts as seen.
            let mut rx = tx.subscribe();
            rx.changed().await.unwrap();
            setter.await.unwrap();
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    }

    #[test]
    fn a_ref_held_across_an_await_blocks_the_sender() {
        let report = Scenario::new("watch::ref_across_await").iterations(100).run(|| async {
            let (tx, rx) = channel(0);
            let sender = crate::spawn(async move { tx.send(1).unwrap() });
            let value = rx.borrow();
            crate::task::yield_now().await;
            drop(value);
            sender.await.unwrap();
        });
        let failure = report.failure().expect("the send is blocked by the held Ref");
        assert!(failure.message().contains("held across an `.await`"), "{report}");
    }
}

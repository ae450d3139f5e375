//! The sending half of a `watch` channel.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use super::error::SendError;
use super::{Receiver, Ref, Shared};
use crate::engine;
use crate::engine::channel::Closing;

/// Replaces the value of a `watch` channel and wakes its receivers; clone it to send from
/// several tasks.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn from_shared(shared: Arc<Shared<T>>) -> Self {
        Sender { shared }
    }

    /// A channel holding `init`, with no receiver yet (see [`subscribe`](Sender::subscribe)).
    #[track_caller]
    pub fn new(init: T) -> Self {
        super::channel(init).0
    }

    /// Replaces the value and wakes the receivers. Fails, giving the value back, if there
    /// is no receiver.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let at = engine::begin();
        // Checked and sent in one critical section, as tokio's: the last receiver cannot
        // go in between.
        let old = {
            let mut current = self.shared.write();
            let mut state = self.shared.lock();
            if state.receivers == 0 {
                drop(state);
                drop(current);
                engine::record_with("watch::Sender::send", at, || "no receivers".into());
                return Err(SendError(value));
            }
            state.version += 1;
            std::mem::replace(&mut *current, value)
        };
        engine::channel::sent(self.shared.resource, at, 1);
        // The old value's destructor is the user's code: it runs with no lock held.
        drop(old);
        self.shared.changed.wake_waiters();
        engine::record_with("watch::Sender::send", at, || "sent".into());
        Ok(())
    }

    /// Replaces the value, even with no receiver, and returns the previous one.
    #[track_caller]
    pub fn send_replace(&self, mut value: T) -> T {
        let at = engine::begin();
        self.modify(at, |current| {
            std::mem::swap(current, &mut value);
            true
        });
        engine::record("watch::Sender::send_replace", at);
        value
    }

    /// Modifies the value in place, even with no receiver, and wakes the receivers.
    #[track_caller]
    pub fn send_modify<F: FnOnce(&mut T)>(&self, modify: F) {
        let at = engine::begin();
        self.modify(at, |value| {
            modify(value);
            true
        });
        engine::record("watch::Sender::send_modify", at);
    }

    /// Lets `modify` change the value in place; if it returns `true`, the receivers see a
    /// new value and are woken. Returns what `modify` returned.
    #[track_caller]
    pub fn send_if_modified<F: FnOnce(&mut T) -> bool>(&self, modify: F) -> bool {
        let at = engine::begin();
        let modified = self.modify(at, modify);
        engine::record_with("watch::Sender::send_if_modified", at, || {
            if modified { "modified" } else { "unmodified" }.into()
        });
        modified
    }

    /// Lets `modify` change the value (for the report, sent at `at`) and wakes the receivers
    /// if it did.
    fn modify(&self, at: &'static Location<'static>, modify: impl FnOnce(&mut T) -> bool) -> bool {
        {
            // The value first, then the state, as everywhere: `modify` is the user's code and
            // may reach a scheduling point; a task that then wants the value waits for it
            // without holding the state.
            let mut value = self.shared.write();
            if !modify(&mut value) {
                return false;
            }
            self.shared.lock().version += 1;
        }
        engine::channel::sent(self.shared.resource, at, 1);
        self.shared.changed.wake_waiters();
        true
    }

    /// Borrows the current value (its [`Ref::has_changed`] is `false`).
    #[track_caller]
    pub fn borrow(&self) -> Ref<'_, T> {
        let at = engine::begin();
        engine::record("watch::Sender::borrow", at);
        self.shared.make_ref(self.shared.read(), false)
    }

    /// A new receiver, which has seen the current value. Reopens a channel without receivers.
    #[track_caller]
    pub fn subscribe(&self) -> Receiver<T> {
        let at = engine::begin();
        let version = {
            let mut state = self.shared.lock();
            state.receivers += 1;
            state.version
        };
        engine::record("watch::Sender::subscribe", at);
        Receiver::from_shared(self.shared.clone(), version)
    }

    /// How many receivers there are.
    #[track_caller]
    pub fn receiver_count(&self) -> usize {
        let at = engine::begin();
        let receivers = self.shared.lock().receivers;
        engine::record_with("watch::Sender::receiver_count", at, || receivers.to_string());
        receivers
    }

    /// How many senders there are.
    #[track_caller]
    pub fn sender_count(&self) -> usize {
        let at = engine::begin();
        let senders = self.shared.lock().senders;
        engine::record_with("watch::Sender::sender_count", at, || senders.to_string());
        senders
    }

    /// Whether there is no receiver: [`send`](Sender::send) would fail.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        let at = engine::begin();
        let closed = self.shared.lock().receivers == 0;
        engine::record_with("watch::Sender::is_closed", at, || closed.to_string());
        closed
    }

    /// Waits until there is no receiver.
    ///
    /// Cancel safe. It spends a unit of the task's budget when it completes, as tokio's: a
    /// loop on it yields now and then.
    #[track_caller]
    pub fn closed(&self) -> impl Future<Output = ()> + '_ {
        let at = Location::caller();
        engine::cooperative(async move {
            engine::point().await;
            loop {
                // Registered before the check, so a drop in between is not missed.
                let notified = self.shared.receivers_gone.waiter("watch::Sender::closed", at);
                if self.shared.lock().receivers == 0 {
                    break;
                }
                notified.await;
            }
            engine::record("watch::Sender::closed", at);
        })
    }

    /// Whether both senders send into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let last = {
            let mut state = self.shared.lock();
            state.senders -= 1;
            state.senders == 0
        };
        if last {
            engine::channel::closed(self.shared.resource, Closing::SendersDropped);
            self.shared.changed.wake_waiters();
        }
    }
}

impl<T: Default> Default for Sender<T> {
    #[track_caller]
    fn default() -> Self {
        Sender::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("shared", &self.shared).finish()
    }
}

//! `broadcast`: a multi-producer, multi-consumer channel where every receiver sees every
//! value, with tokio's API, whose every send and receive is explored.
//!
//! The channel holds the last `capacity` values (rounded up to a power of two). A value
//! stays until every receiver alive when it was sent has seen it, or a later send
//! overwrites it; a receiver that falls that far behind gets `Lagged(n)` and goes on from
//! the oldest value still held.
//!
//! ```
//! # racewright::check(|| async {
//! use racewright::sync::broadcast;
//!
//! let (tx, mut first) = broadcast::channel(4);
//! let mut second = tx.subscribe();
//! let listener = racewright::spawn(async move { second.recv().await.unwrap() });
//! tx.send("hello").unwrap();
//! assert_eq!(first.recv().await.unwrap(), "hello");
//! assert_eq!(listener.await.unwrap(), "hello");
//! # });
//! ```

pub mod error;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use super::notify::Notify;
use crate::engine::channel::Closing;
use crate::engine::{self, Resource, StateGuard, StateLock};
use error::{RecvError, SendError, TryRecvError};

/// A broadcast channel holding at least `capacity` values (the next power of two).
///
/// # Panics
/// If `capacity` is 0 or exceeds `usize::MAX / 2`, as tokio's.
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let tx = Sender::new_at(capacity, Location::caller());
    let rx = tx.subscribe_at(Location::caller());
    (tx, rx)
}

struct Shared<T> {
    state: StateLock<State<T>>,
    /// Wakes the receivers at each value and when the last sender goes.
    sent: Notify,
    /// Wakes the senders in `closed` when the last receiver goes.
    receivers_gone: Notify,
    /// The channel, for reports.
    resource: Resource,
}

struct State<T> {
    /// The values held, oldest first; at most `capacity`.
    values: VecDeque<Slot<T>>,
    /// The position of `values[0]`: positions count the values ever sent.
    first: u64,
    capacity: usize,
    senders: usize,
    weak_senders: usize,
    receivers: usize,
}

struct Slot<T> {
    value: T,
    /// Receivers that were alive when it was sent and have not seen it yet.
    unseen_by: usize,
}

impl<T> State<T> {
    /// The position the next value will have.
    fn end(&self) -> u64 {
        self.first + self.values.len() as u64
    }

    /// Takes out the oldest values every receiver has seen, for the caller to drop once it
    /// has let go of the lock (their destructors may use the channel).
    fn take_seen(&mut self) -> Vec<T> {
        let mut seen = Vec::new();
        while self.values.front().is_some_and(|slot| slot.unseen_by == 0) {
            seen.extend(self.values.pop_front().map(|slot| slot.value));
            self.first += 1;
        }
        seen
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> StateGuard<'_, State<T>> {
        self.state.lock()
    }

    /// [`State::take_seen`], told to the report.
    fn take_seen(&self, state: &mut State<T>) -> Vec<T> {
        let seen = state.take_seen();
        if !seen.is_empty() {
            engine::channel::taken(self.resource, state.values.len());
        }
        seen
    }
}

/// Sends values to every receiver; clone it to send from several tasks.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender of a new channel with no receiver yet (see [`subscribe`](Sender::subscribe)).
    ///
    /// # Panics
    /// If `capacity` is 0 or exceeds `usize::MAX / 2`, as tokio's.
    #[track_caller]
    pub fn new(capacity: usize) -> Self {
        Sender::new_at(capacity, Location::caller())
    }

    fn new_at(capacity: usize, at: &'static Location<'static>) -> Self {
        assert!(capacity > 0, "broadcast channel capacity cannot be zero");
        assert!(capacity <= usize::MAX >> 1, "broadcast channel capacity exceeded `usize::MAX / 2`");
        let resource = Resource::new("broadcast::channel", at);
        engine::channel::opened(resource, Some(capacity.next_power_of_two()));
        let state = State {
            values: VecDeque::new(),
            first: 0,
            capacity: capacity.next_power_of_two(),
            senders: 1,
            weak_senders: 0,
            receivers: 0,
        };
        Sender {
            shared: Arc::new(Shared {
                state: StateLock::new(state),
                sent: Notify::for_resource(resource),
                receivers_gone: Notify::for_resource(resource),
                resource,
            }),
        }
    }

    /// Sends `value` to every receiver alive now; returns how many there are. Fails,
    /// giving the value back, if there is none. Never waits: a full channel overwrites its
    /// oldest value.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let at = engine::begin();
        let (result, overwritten) = {
            let mut state = self.shared.lock();
            let receivers = state.receivers;
            if receivers == 0 {
                (Err(SendError(value)), None)
            } else {
                let overwritten = if state.values.len() == state.capacity {
                    state.first += 1;
                    state.values.pop_front()
                } else {
                    None
                };
                state.values.push_back(Slot { value, unseen_by: receivers });
                engine::channel::sent(self.shared.resource, at, state.values.len());
                (Ok(receivers), overwritten)
            }
        };
        drop(overwritten);
        engine::record_with("broadcast::Sender::send", at, || match &result {
            Ok(receivers) => format!("sent to {receivers}"),
            Err(_) => "no receiver".into(),
        });
        if result.is_ok() {
            self.shared.sent.wake_waiters();
        }
        result
    }

    /// A new receiver, which sees the values sent from now on.
    #[track_caller]
    pub fn subscribe(&self) -> Receiver<T> {
        self.subscribe_at(Location::caller())
    }

    fn subscribe_at(&self, at: &'static Location<'static>) -> Receiver<T> {
        engine::scheduling_point();
        let next = {
            let mut state = self.shared.lock();
            state.receivers += 1;
            state.end()
        };
        engine::record("broadcast::Sender::subscribe", at);
        Receiver { shared: self.shared.clone(), next }
    }

    /// Values held that some receiver has not seen yet.
    #[track_caller]
    pub fn len(&self) -> usize {
        let at = engine::begin();
        let len = self.shared.lock().values.iter().filter(|slot| slot.unseen_by > 0).count();
        engine::record_with("broadcast::Sender::len", at, || len.to_string());
        len
    }

    /// Whether every receiver has seen every value held.
    #[track_caller]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Receivers alive now.
    #[track_caller]
    pub fn receiver_count(&self) -> usize {
        let at = engine::begin();
        let count = self.shared.lock().receivers;
        engine::record_with("broadcast::Sender::receiver_count", at, || count.to_string());
        count
    }

    /// Whether both senders send into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Waits until every receiver is gone. Cancel safe.
    #[track_caller]
    pub fn closed(&self) -> impl Future<Output = ()> + '_ {
        let at = Location::caller();
        async move {
            engine::point().await;
            loop {
                // Registered before the check, so that the last receiver going in between is seen.
                let gone = self.shared.receivers_gone.waiter("broadcast::Sender::closed", at);
                if self.shared.lock().receivers == 0 {
                    break;
                }
                gone.await;
            }
            engine::record("broadcast::Sender::closed", at);
        }
    }

    /// Whether every receiver is gone: a send would fail.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        let at = engine::begin();
        let closed = self.shared.lock().receivers == 0;
        engine::record_with("broadcast::Sender::is_closed", at, || closed.to_string());
        closed
    }

    /// A [`WeakSender`], which does not keep the channel open.
    pub fn downgrade(&self) -> WeakSender<T> {
        self.shared.lock().weak_senders += 1;
        WeakSender { shared: self.shared.clone() }
    }

    /// Live senders of the channel (this one included).
    pub fn strong_count(&self) -> usize {
        self.shared.lock().senders
    }

    /// Weak senders of the channel.
    pub fn weak_count(&self) -> usize {
        self.shared.lock().weak_senders
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
            self.shared.sent.wake_waiters();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender").finish_non_exhaustive()
    }
}

/// A sender that does not keep the channel open, from [`Sender::downgrade`].
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> WeakSender<T> {
    /// A sender again, or `None` once every sender is gone.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let mut state = self.shared.lock();
        if state.senders == 0 {
            return None;
        }
        state.senders += 1;
        Some(Sender { shared: self.shared.clone() })
    }

    /// Live senders of the channel.
    pub fn strong_count(&self) -> usize {
        self.shared.lock().senders
    }

    /// Weak senders of the channel (this one included).
    pub fn weak_count(&self) -> usize {
        self.shared.lock().weak_senders
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().weak_senders += 1;
        WeakSender { shared: self.shared.clone() }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.shared.lock().weak_senders -= 1;
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::WeakSender").finish_non_exhaustive()
    }
}

/// Receives every value sent after it subscribed.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The position of the next value to receive.
    next: u64,
}

/// What the receiver's next value is, as far as the channel can say without waiting.
enum Next<T> {
    Value(T),
    Lagged(u64),
    Closed,
    Empty,
}

impl<T> Receiver<T> {
    /// Takes the next value if there is one (a clone; the last receiver to see it gets it).
    fn take_next(&mut self) -> Next<T>
    where
        T: Clone,
    {
        let (next, seen) = self.take_next_locked();
        drop(seen);
        next
    }

    fn take_next_locked(&mut self) -> (Next<T>, Vec<T>)
    where
        T: Clone,
    {
        let mut state = self.shared.lock();
        if self.next < state.first {
            let missed = state.first - self.next;
            self.next = state.first;
            return (Next::Lagged(missed), Vec::new());
        }
        if self.next == state.end() {
            return (if state.senders == 0 { Next::Closed } else { Next::Empty }, Vec::new());
        }
        let index = usize::try_from(self.next - state.first).expect("the values held fit in memory");
        self.next += 1;
        let slot = &mut state.values[index];
        slot.unseen_by -= 1;
        let value = slot.value.clone();
        (Next::Value(value), self.shared.take_seen(&mut state))
    }

    /// Waits for the next value. `Lagged(n)` if `n` values were overwritten before this
    /// receiver saw them; `Closed` once every sender is gone and every value was seen.
    ///
    /// Cancel safe: no value is lost if the future is dropped.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Result<T, RecvError>> + '_
    where
        T: Clone,
    {
        let at = Location::caller();
        engine::cooperative(async move {
            engine::point().await;
            let shared = self.shared.clone();
            let result = loop {
                // Registered before the check, so that a send in between is seen.
                let sent = shared.sent.waiter("broadcast::Receiver::recv", at);
                match self.take_next() {
                    Next::Value(value) => break Ok(value),
                    Next::Lagged(missed) => break Err(RecvError::Lagged(missed)),
                    Next::Closed => break Err(RecvError::Closed),
                    Next::Empty => sent.await,
                }
            };
            engine::record_with("broadcast::Receiver::recv", at, || match &result {
                Ok(_) => "got a value".into(),
                Err(error) => error.to_string(),
            });
            result
        })
    }

    /// Takes the next value if there is one, without waiting.
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError>
    where
        T: Clone,
    {
        let at = engine::begin();
        let result = match self.take_next() {
            Next::Value(value) => Ok(value),
            Next::Lagged(missed) => Err(TryRecvError::Lagged(missed)),
            Next::Closed => Err(TryRecvError::Closed),
            Next::Empty => Err(TryRecvError::Empty),
        };
        engine::record_with("broadcast::Receiver::try_recv", at, || match &result {
            Ok(_) => "got a value".into(),
            Err(error) => error.to_string(),
        });
        result
    }

    /// Waits for the next value from synchronous code, blocking the thread (inside a run,
    /// the blocking task), as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError>
    where
        T: Clone,
    {
        engine::block_on(self.recv())
    }

    /// A new receiver of the same channel, which sees the values sent from now on.
    #[track_caller]
    pub fn resubscribe(&self) -> Self {
        let at = engine::begin();
        let next = {
            let mut state = self.shared.lock();
            state.receivers += 1;
            state.end()
        };
        engine::record("broadcast::Receiver::resubscribe", at);
        Receiver { shared: self.shared.clone(), next }
    }

    /// Values sent that this receiver has not received yet, those it missed by lagging
    /// included (as tokio's: more than the channel holds means the next receive is `Lagged`).
    #[track_caller]
    pub fn len(&self) -> usize {
        let at = engine::begin();
        let len = self.shared.lock().end() - self.next;
        engine::record_with("broadcast::Receiver::len", at, || len.to_string());
        usize::try_from(len).expect("the values held fit in memory")
    }

    /// Whether this receiver has seen every value held.
    #[track_caller]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both receivers receive from the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Whether every sender is gone (values may still be there to receive).
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        let at = engine::begin();
        let closed = self.shared.lock().senders == 0;
        engine::record_with("broadcast::Receiver::is_closed", at, || closed.to_string());
        closed
    }

    /// Live senders of the channel.
    pub fn sender_strong_count(&self) -> usize {
        self.shared.lock().senders
    }

    /// Weak senders of the channel.
    pub fn sender_weak_count(&self) -> usize {
        self.shared.lock().weak_senders
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (last, unseen) = {
            let mut state = self.shared.lock();
            state.receivers -= 1;
            // The values this receiver will never see no longer wait for it.
            let from = usize::try_from(self.next.saturating_sub(state.first)).unwrap_or(usize::MAX);
            for slot in state.values.iter_mut().skip(from) {
                slot.unseen_by -= 1;
            }
            (state.receivers == 0, self.shared.take_seen(&mut state))
        };
        drop(unseen);
        if last {
            self.shared.receivers_gone.wake_waiters();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver").field("next", &self.next).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio_test::{assert_pending, assert_ready, task};

    use super::channel;
    use super::error::{RecvError, TryRecvError};
    use crate::{FailureKind, Scenario};

    // After tokio's `receiver_len_after_lag_error_advances_cursor`: a lagging receiver's
    // `len` counts what it missed, until the `Lagged` moves it on.
    #[test]
    fn a_lagging_receivers_len_counts_what_it_missed() {
        let (tx, mut rx) = channel(2);
        for n in 1..=4 {
            tx.send(n).unwrap();
        }
        assert_eq!(rx.len(), 4);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(2)));
        assert_eq!(rx.len(), 2);
        assert_eq!(rx.try_recv(), Ok(3));
        assert_eq!(rx.len(), 1);
    }

    // After tokio's `tests/sync_broadcast.rs` (`lagging_rx`): a receiver that falls behind
    // learns how many values it missed, then goes on from the oldest one still held.
    #[test]
    fn a_lagging_receiver_is_told_how_much_it_missed() {
        let (tx, mut fast) = channel(2);
        let mut slow = tx.subscribe();
        tx.send("one").unwrap();
        tx.send("two").unwrap();
        assert_eq!(fast.try_recv(), Ok("one"));
        tx.send("three").unwrap();
        assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(1)));
        assert_eq!(slow.try_recv(), Ok("two"));
        assert_eq!((fast.try_recv(), fast.try_recv()), (Ok("two"), Ok("three")));
        tx.send("four").unwrap();
        tx.send("five").unwrap();
        assert_eq!(slow.len(), 3, "the one it missed too");
        assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(1)));
        tx.send("six").unwrap();
        assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(1)));
        assert_eq!(slow.try_recv(), Ok("five"));
    }

    #[test]
    fn sends_fail_without_receivers_and_values_outlive_the_senders() {
        let (tx, rx) = channel::<u8>(3);
        assert_eq!(tx.receiver_count(), 1);
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(1).unwrap_err().0, 1);
        let mut rx = tx.subscribe();
        assert_eq!(tx.send(2), Ok(1));
        assert_eq!(tx.len(), 1);
        let weak = tx.downgrade();
        drop(tx);
        assert!(weak.upgrade().is_none());
        assert!(rx.is_closed());
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(assert_ready!(task::spawn(rx.recv()).poll()), Err(RecvError::Closed));
    }

    #[test]
    fn a_waiting_receiver_is_woken_by_a_send_and_a_new_one_sees_only_later_values() {
        let (tx, mut rx) = channel(4);
        tx.send(0).unwrap();
        let mut late = rx.resubscribe();
        assert!(late.is_empty() && !rx.is_empty());
        assert_eq!(rx.try_recv(), Ok(0));
        let mut waiting = task::spawn(rx.recv());
        assert_pending!(waiting.poll());
        tx.send(1).unwrap();
        assert!(waiting.is_woken());
        assert_eq!(assert_ready!(waiting.poll()), Ok(1));
        assert_eq!(late.try_recv(), Ok(1));
        assert!(tx.is_empty(), "every receiver saw every value");
    }

    #[test]
    #[should_panic(expected = "broadcast channel capacity cannot be zero")]
    fn zero_capacity_panics_as_tokio() {
        let _ = channel::<()>(0);
    }

    #[test]
    fn every_receiver_sees_every_value_in_order() {
        crate::check(|| async {
            let (tx, rx) = channel(4);
            let seen = Arc::new(AtomicUsize::new(0));
            let listeners: Vec<_> = [rx.resubscribe(), rx]
                .into_iter()
                .map(|mut rx| {
                    let seen = seen.clone();
                    crate::spawn(async move {
                        for expected in 0..3 {
                            assert_eq!(rx.recv().await, Ok(expected));
                            seen.fetch_add(1, Ordering::SeqCst);
                        }
                        assert_eq!(rx.recv().await, Err(RecvError::Closed));
                    })
                })
                .collect();
            for n in 0..3 {
                tx.send(n).unwrap();
            }
            drop(tx);
            for listener in listeners {
                listener.await.unwrap();
            }
            assert_eq!(seen.load(Ordering::SeqCst), 6);
        });
    }

    #[test]
    fn a_receiver_waiting_for_a_value_nobody_sends_is_a_deadlock_that_names_the_channel() {
        let report = Scenario::new("broadcast::nobody_sends").iterations(20).run(|| async {
            let (tx, mut rx) = channel::<u8>(1);
            let _kept = tx.clone();
            drop(tx);
            let _ = rx.recv().await;
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
        assert!(report.to_string().contains("blocked in broadcast::Receiver::recv on broadcast::channel@"), "{report}");
    }

    #[test]
    fn closed_waits_for_the_last_receiver_and_blocking_recv_works_in_a_blocking_task() {
        crate::check(|| async {
            let (tx, mut rx) = channel::<u8>(1);
            let receiver = crate::task::spawn_blocking(move || rx.blocking_recv());
            while tx.send(5).is_err() {
                crate::task::yield_now().await;
            }
            tx.closed().await;
            let got = receiver.await.unwrap();
            assert!(got == Ok(5) || got == Err(RecvError::Lagged(1)) || got == Ok(5), "{got:?}");
        });
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let (tx, mut rx) = channel(2);
        let listener = tokio::spawn(async move { rx.recv().await });
        tx.send("hi").unwrap();
        assert_eq!(listener.await.unwrap(), Ok("hi"));
    }
}

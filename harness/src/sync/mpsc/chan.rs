//! The core that bounded and unbounded channels share: the queue, the receiver's waker,
//! the sender count, and the two ways the channel closes.
//!
//! A channel is closed for the receiver once every sender is gone (after the queued
//! values are received), and for the senders once the receiver is dropped or closes it.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::panic::Location;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::error::TryRecvError;
use crate::engine::channel::Closing;
use crate::engine::{self, Resource, StateGuard, StateLock, TaskId};
use crate::sync::notify::Notify;
use crate::sync::permits::{Closed, Permits};

pub(super) struct Chan<T> {
    state: StateLock<State<T>>,
    /// The free slots of a bounded channel (a sender takes one, a receive gives it back);
    /// `None` for an unbounded channel.
    pub(super) slots: Option<Permits>,
    /// The bound of a bounded channel.
    capacity: Option<usize>,
    /// Wakes the senders in `closed()` when the receiver closes the channel or goes.
    receiver_closed: Notify,
    resource: Resource,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Who sent each queued value and where, inside an execution: said if they are lost.
    origins: VecDeque<(TaskId, &'static Location<'static>)>,
    /// Live senders; at zero the receiver gets `None` once the queue is empty.
    senders: usize,
    /// Weak senders, which do not keep the channel open.
    weak_senders: usize,
    /// The receiver closed the channel or was dropped: sends fail (those in a slot reserved
    /// before the close excepted, as long as the receiver lives).
    receiver_closed: bool,
    /// The receiver was dropped: nothing is queued any more.
    receiver_gone: bool,
    /// The task waiting in `recv`.
    receiver_waker: Option<Waker>,
}

impl<T> Chan<T> {
    /// A channel with `capacity` slots, or unbounded; `kind` names it in reports.
    pub(super) fn new(
        capacity: Option<usize>,
        kind: &'static str,
        created_at: &'static Location<'static>,
    ) -> Arc<Self> {
        let resource = Resource::new(kind, created_at);
        engine::channel::opened(resource, capacity);
        Arc::new(Chan {
            state: StateLock::new(State {
                queue: VecDeque::new(),
                origins: VecDeque::new(),
                senders: 1,
                weak_senders: 0,
                receiver_closed: false,
                receiver_gone: false,
                receiver_waker: None,
            }),
            slots: capacity.map(|capacity| Permits::of(capacity, resource)),
            capacity,
            receiver_closed: Notify::for_resource(resource),
            resource,
        })
    }

    fn lock(&self) -> StateGuard<'_, State<T>> {
        self.state.lock()
    }

    /// `n` values were taken out of the queue (the state still locked as `state`).
    fn took(&self, state: &mut State<T>, n: usize) {
        let n = n.min(state.origins.len());
        state.origins.drain(..n);
        engine::channel::taken(self.resource, state.queue.len());
        engine::dequeued(self.resource, state.queue.len());
    }

    /// Gives back the slots of `n` values taken out of the queue.
    fn free_slots(&self, n: usize) {
        if let Some(slots) = &self.slots {
            slots.release(n);
        }
    }

    /// Whether the receiver has seen the last value: every sender is gone, or the channel
    /// was closed and no slot is reserved any more (a reserved slot may still send, as in
    /// tokio), and the queue is empty.
    fn drained(&self, state: &State<T>) -> bool {
        state.queue.is_empty() && (state.senders == 0 || (state.receiver_closed && self.reserved(state) == 0))
    }

    /// Slots of a bounded channel that senders reserved and have not used yet.
    fn reserved(&self, state: &State<T>) -> usize {
        match (&self.slots, self.capacity) {
            (Some(slots), Some(capacity)) => capacity - slots.available() - state.queue.len(),
            _ => 0,
        }
    }

    /// A sender gives back a slot it reserved and did not fill; once the channel is
    /// closed, the receiver may be waiting for that to end.
    pub(super) fn give_back_slot(&self) {
        if let Some(slots) = &self.slots {
            slots.release(1);
        }
        self.wake_receiver_if_drained();
    }

    /// Waits for `n` free slots of a bounded channel. One that fails or is cancelled gives
    /// back what it was assigned, which may be the last slot a closed channel's receiver
    /// waits for, as tokio's.
    pub(super) async fn acquire_slots(
        &self,
        n: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<(), Closed> {
        let gave_back = WakeReceiverIfDrained(self);
        let slots = self.slots.as_ref().expect("a bounded channel has slots");
        let acquired = slots.acquire(n, operation, at).await;
        if acquired.is_ok() {
            // The slots are the sender's now: it gives them back itself.
            std::mem::forget(gave_back);
        }
        acquired
    }

    /// Wakes the receiver of a closed channel once the last reserved slot is back and the
    /// queue is empty (tokio's idle channel): `recv` returns `None` then. Not before: a
    /// reserved slot may still send.
    fn wake_receiver_if_drained(&self) {
        let waker = {
            let mut state = self.lock();
            if state.receiver_closed && self.drained(&state) { state.receiver_waker.take() } else { None }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Live senders and weak senders.
    pub(super) fn sender_counts(&self) -> (usize, usize) {
        let state = self.lock();
        (state.senders, state.weak_senders)
    }

    fn close_for_senders(&self) {
        self.lock().receiver_closed = true;
        if let Some(slots) = &self.slots {
            slots.close();
        }
        self.receiver_closed.wake_waiters();
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Chan")
            .field("queued", &state.queue.len())
            .field("senders", &state.senders)
            .field("receiver_closed", &state.receiver_closed)
            .finish()
    }
}

/// The sending side: one per sender handle.
pub(super) struct Tx<T> {
    pub(super) chan: Arc<Chan<T>>,
}

impl<T> Tx<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
        Tx { chan }
    }

    /// Queues `value`, sent at `at`, and wakes the receiver; gives it back if the receiver is
    /// gone, or closed an unbounded channel. (A bounded channel's sender pushes into a slot it
    /// holds, which a close does not take back.)
    pub(super) fn push(&self, value: T, at: &'static Location<'static>) -> Result<(), T> {
        let waker = {
            let mut state = self.chan.lock();
            if state.receiver_gone || (state.receiver_closed && self.chan.slots.is_none()) {
                return Err(value);
            }
            state.queue.push_back(value);
            engine::channel::sent(self.chan.resource, at, state.queue.len());
            let unbounded = self.chan.slots.is_none();
            if let Some(sender) = engine::queued(self.chan.resource, unbounded, state.queue.len(), at) {
                state.origins.push_back((sender, at));
            }
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver closed the channel or was dropped.
    #[track_caller]
    pub(super) fn is_closed(&self, operation: &'static str) -> bool {
        let at = engine::begin();
        let closed = self.chan.lock().receiver_closed;
        engine::record_with(operation, at, || closed.to_string());
        closed
    }

    /// Waits until the receiver closes the channel or is dropped.
    pub(super) async fn closed(&self, operation: &'static str, at: &'static Location<'static>) {
        engine::point().await;
        // Registered before the check, so a close in between is not missed.
        let notified = self.chan.receiver_closed.waiter(operation, at);
        if !self.chan.lock().receiver_closed {
            notified.await;
        }
        engine::record(operation, at);
    }

    pub(super) fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A weak sender of this channel.
    pub(super) fn downgrade(&self) -> WeakTx<T> {
        self.chan.lock().weak_senders += 1;
        WeakTx { chan: self.chan.clone() }
    }
}

/// A sender that does not keep the channel open: it can become a sender again while
/// another one lives.
pub(super) struct WeakTx<T> {
    pub(super) chan: Arc<Chan<T>>,
}

impl<T> WeakTx<T> {
    /// A sender again, if one still lives.
    pub(super) fn upgrade(&self) -> Option<Tx<T>> {
        let mut state = self.chan.lock();
        if state.senders == 0 {
            return None;
        }
        state.senders += 1;
        Some(Tx { chan: self.chan.clone() })
    }
}

impl<T> Clone for WeakTx<T> {
    fn clone(&self) -> Self {
        self.chan.lock().weak_senders += 1;
        WeakTx { chan: self.chan.clone() }
    }
}

impl<T> Drop for WeakTx<T> {
    fn drop(&mut self) {
        self.chan.lock().weak_senders -= 1;
    }
}

impl<T> Clone for Tx<T> {
    fn clone(&self) -> Self {
        self.chan.lock().senders += 1;
        Tx { chan: self.chan.clone() }
    }
}

impl<T> Drop for Tx<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.chan.lock();
            state.senders -= 1;
            if state.senders > 0 {
                return;
            }
            engine::channel::closed(self.chan.resource, Closing::SendersDropped);
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The receiving side. `operation` names are passed in by the bounded and unbounded receivers.
pub(super) struct Rx<T> {
    pub(super) chan: Arc<Chan<T>>,
}

impl<T> Rx<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
        Rx { chan }
    }

    /// Waits for the next value; `None` once the channel is closed and empty.
    pub(super) async fn recv(&mut self, operation: &'static str, at: &'static Location<'static>) -> Option<T> {
        engine::point().await;
        let _deregister = ForgetWaker(&self.chan);
        poll_fn(|cx| self.poll_recv(cx, operation, at)).await
    }

    pub(super) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Poll<Option<T>> {
        let proceed = std::task::ready!(engine::poll_proceed(cx));
        let poll = self.poll_recv_inner(cx, operation, at);
        if poll.is_ready() {
            proceed.made_progress();
        }
        poll
    }

    fn poll_recv_inner(
        &self,
        cx: &mut Context<'_>,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Poll<Option<T>> {
        let mut state = self.chan.lock();
        if let Some(value) = state.queue.pop_front() {
            self.chan.took(&mut state, 1);
            drop(state);
            self.chan.free_slots(1);
            engine::record_with(operation, at, || "got a value".into());
            return Poll::Ready(Some(value));
        }
        if self.chan.drained(&state) {
            drop(state);
            engine::record_with(operation, at, || "closed".into());
            return Poll::Ready(None);
        }
        // The waker it replaces is dropped once the lock is let go: its drop may use the channel.
        let replaced = state.receiver_waker.replace(cx.waker().clone());
        drop(state);
        drop(replaced);
        engine::wait(operation, at, Some(self.chan.resource));
        Poll::Pending
    }

    /// Waits for values and moves up to `limit` of them into `buffer`; 0 once the channel
    /// is closed and empty (or if `limit` is 0).
    pub(super) async fn recv_many(
        &mut self,
        buffer: &mut Vec<T>,
        limit: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> usize {
        engine::point().await;
        let _deregister = ForgetWaker(&self.chan);
        poll_fn(|cx| self.poll_recv_many(cx, buffer, limit, operation, at)).await
    }

    pub(super) fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let proceed = std::task::ready!(engine::poll_proceed(cx));
        let poll = self.poll_recv_many_inner(cx, buffer, limit, operation, at);
        if poll.is_ready() {
            proceed.made_progress();
        }
        poll
    }

    fn poll_recv_many_inner(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Poll<usize> {
        let mut state = self.chan.lock();
        let taken = limit.min(state.queue.len());
        if taken > 0 {
            buffer.extend(state.queue.drain(..taken));
            self.chan.took(&mut state, taken);
            drop(state);
            self.chan.free_slots(taken);
            engine::record_with(operation, at, || format!("got {taken}"));
            return Poll::Ready(taken);
        }
        if self.chan.drained(&state) {
            drop(state);
            engine::record_with(operation, at, || "closed".into());
            return Poll::Ready(0);
        }
        // The waker it replaces is dropped once the lock is let go: its drop may use the channel.
        let replaced = state.receiver_waker.replace(cx.waker().clone());
        drop(state);
        drop(replaced);
        engine::wait(operation, at, Some(self.chan.resource));
        Poll::Pending
    }

    #[track_caller]
    pub(super) fn try_recv(&mut self, operation: &'static str) -> Result<T, TryRecvError> {
        let at = engine::begin();
        let mut state = self.chan.lock();
        let result = match state.queue.pop_front() {
            Some(value) => Ok(value),
            None if self.chan.drained(&state) => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        };
        if result.is_ok() {
            self.chan.took(&mut state, 1);
        }
        drop(state);
        if result.is_ok() {
            self.chan.free_slots(1);
        }
        engine::record_with(operation, at, || match &result {
            Ok(_) => "got a value".into(),
            Err(TryRecvError::Empty) => "empty".into(),
            Err(TryRecvError::Disconnected) => "disconnected".into(),
        });
        result
    }

    /// Closes the channel for the senders; the values already queued can still be received.
    #[track_caller]
    pub(super) fn close(&mut self, operation: &'static str) {
        let at = engine::begin();
        engine::record(operation, at);
        engine::channel::closed(self.chan.resource, Closing::ReceiverClosed);
        self.chan.close_for_senders();
    }

    /// Closed for the receiver: every sender is gone, or the receiver closed it.
    #[track_caller]
    pub(super) fn is_closed(&self, operation: &'static str) -> bool {
        let at = engine::begin();
        let closed = {
            let state = self.chan.lock();
            state.senders == 0 || state.receiver_closed
        };
        engine::record_with(operation, at, || closed.to_string());
        closed
    }

    /// How many values are queued.
    #[track_caller]
    pub(super) fn len(&self, operation: &'static str) -> usize {
        let at = engine::begin();
        let len = self.chan.lock().queue.len();
        engine::record_with(operation, at, || len.to_string());
        len
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        engine::channel::closed(self.chan.resource, Closing::ReceiverDropped);
        self.chan.lock().receiver_gone = true;
        self.chan.close_for_senders();
        // A waker left by `poll_recv` would keep the receiving task alive for nothing.
        let waker = self.chan.lock().receiver_waker.take();
        drop(waker);
        // Dropped outside the lock: their destructors may use the channel.
        let (queued, origins) = {
            let mut state = self.chan.lock();
            (std::mem::take(&mut state.queue), std::mem::take(&mut state.origins))
        };
        engine::messages_lost(self.chan.resource, queued.len(), origins);
        self.chan.free_slots(queued.len());
        drop(queued);
    }
}

/// Wakes the receiver of a drained, closed channel when a slot acquisition ends without
/// the slots (see [`Chan::acquire_slots`]).
struct WakeReceiverIfDrained<'a, T>(&'a Chan<T>);

impl<T> Drop for WakeReceiverIfDrained<'_, T> {
    fn drop(&mut self) {
        self.0.wake_receiver_if_drained();
    }
}

/// Forgets the receiver's waker when a `recv` future ends or is cancelled.
struct ForgetWaker<'a, T>(&'a Chan<T>);

impl<T> Drop for ForgetWaker<'_, T> {
    fn drop(&mut self) {
        self.0.lock().receiver_waker = None;
    }
}

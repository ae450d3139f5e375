//! The bounded channel: a sender waits while the channel is full.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::task::{Context, Poll};

use super::chan::{Chan, Rx, Tx};
use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::engine;
use crate::sync::permits;
use crate::sync::semaphore::Semaphore;

/// A channel that holds at most `buffer` values: [`Sender::send`] waits while it is full.
///
/// Panics if `buffer` is 0 (or exceeds `Semaphore::MAX_PERMITS`).
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    assert!(buffer <= Semaphore::MAX_PERMITS, "requested buffer size too large");
    let chan = Chan::new(Some(buffer), "mpsc::channel", Location::caller());
    (Sender { tx: Tx::new(chan.clone()), capacity: buffer }, Receiver { rx: Rx::new(chan), capacity: buffer })
}

/// Sends values into a bounded channel; clone it to send from several tasks.
pub struct Sender<T> {
    tx: Tx<T>,
    /// The channel's bound.
    capacity: usize,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for a free slot while the channel is full. Fails, giving the
    /// value back, if the receiver is dropped or closes the channel.
    ///
    /// Senders waiting for a slot are served in FIFO order. Cancel safe in tokio's sense:
    /// dropping the future gives up its place in the queue, and the value was not sent.
    #[track_caller]
    pub fn send(&self, value: T) -> impl Future<Output = Result<(), SendError<T>>> + '_ {
        let at = Location::caller();
        async move {
            let result = match self.slots().acquire(1, "mpsc::Sender::send", at).await {
                Ok(()) => self.push_in_slot(value, at),
                Err(permits::Closed) => Err(value),
            };
            engine::record_with("mpsc::Sender::send", at, || if result.is_ok() { "sent" } else { "closed" }.into());
            result.map_err(SendError)
        }
    }

    /// Sends `value` if there is a free slot, without waiting.
    #[track_caller]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let at = engine::begin();
        let result = match self.slots().try_acquire(1) {
            Err(permits::TryAcquireError::NoPermits) => Err(TrySendError::Full(value)),
            Err(permits::TryAcquireError::Closed) => Err(TrySendError::Closed(value)),
            Ok(()) => self.push_in_slot(value, at).map_err(TrySendError::Closed),
        };
        engine::record_with("mpsc::Sender::try_send", at, || match &result {
            Ok(()) => "sent".into(),
            Err(TrySendError::Full(_)) => "full".into(),
            Err(TrySendError::Closed(_)) => "closed".into(),
        });
        result
    }

    /// Waits for a free slot and reserves it: the [`Permit`] then sends without waiting.
    /// Fails if the receiver is gone. Cancel safe: dropping the future reserves nothing.
    #[track_caller]
    pub fn reserve(&self) -> impl Future<Output = Result<Permit<'_, T>, SendError<()>>> + '_ {
        let at = Location::caller();
        async move {
            match self.slots().acquire(1, "mpsc::Sender::reserve", at).await {
                Ok(()) => {
                    engine::record_with("mpsc::Sender::reserve", at, || "reserved".into());
                    Ok(Permit { sender: self, sent: false })
                }
                Err(permits::Closed) => {
                    engine::record_with("mpsc::Sender::reserve", at, || "closed".into());
                    Err(SendError(()))
                }
            }
        }
    }

    /// Sends, waiting at most `timeout` for room (on the virtual clock inside a run).
    /// Cancel safe, and the value comes back on failure.
    #[track_caller]
    pub fn send_timeout(
        &self,
        value: T,
        timeout: std::time::Duration,
    ) -> impl Future<Output = Result<(), SendTimeoutError<T>>> + '_ {
        let at = Location::caller();
        async move {
            // Take a slot first, so that a timeout never loses the value.
            let slot = self.slots().acquire(1, "mpsc::Sender::send_timeout", at);
            let result = match crate::time::timeout(timeout, slot).await {
                Ok(Ok(())) => self.push_in_slot(value, at).map_err(SendTimeoutError::Closed),
                Ok(Err(permits::Closed)) => Err(SendTimeoutError::Closed(value)),
                Err(_) => Err(SendTimeoutError::Timeout(value)),
            };
            engine::record_with("mpsc::Sender::send_timeout", at, || match &result {
                Ok(()) => "sent".into(),
                Err(SendTimeoutError::Closed(_)) => "closed".into(),
                Err(SendTimeoutError::Timeout(_)) => "timed out".into(),
            });
            result
        }
    }

    /// Reserves a slot if one is free, without waiting.
    #[track_caller]
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        let at = engine::begin();
        let result = match self.slots().try_acquire(1) {
            Ok(()) => Ok(Permit { sender: self, sent: false }),
            Err(permits::TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(permits::TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        };
        engine::record_with("mpsc::Sender::try_reserve", at, || match &result {
            Ok(_) => "reserved".into(),
            Err(TrySendError::Full(())) => "full".into(),
            Err(TrySendError::Closed(())) => "closed".into(),
        });
        result
    }

    /// Waits until the receiver is dropped or closes the channel.
    ///
    /// Cancel safe.
    #[track_caller]
    pub fn closed(&self) -> impl Future<Output = ()> + '_ {
        self.tx.closed("mpsc::Sender::closed", Location::caller())
    }

    /// Whether the receiver was dropped or closed the channel: sends would fail.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed("mpsc::Sender::is_closed")
    }

    /// The free slots right now.
    #[track_caller]
    pub fn capacity(&self) -> usize {
        let at = engine::begin();
        let free = self.slots().available();
        engine::record_with("mpsc::Sender::capacity", at, || free.to_string());
        free
    }

    /// The channel's bound, as given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.capacity
    }

    /// Whether both senders send into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.tx.same_channel(&other.tx)
    }

    /// Queues `value` in a slot this sender holds; if the receiver is gone, the slot is
    /// given back and the value returned.
    fn push_in_slot(&self, value: T, at: &'static Location<'static>) -> Result<(), T> {
        self.tx.push(value, at).inspect_err(|_| self.slots().release(1))
    }

    fn slots(&self) -> &permits::Permits {
        self.tx.chan.slots.as_ref().expect("a bounded channel has slots")
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender { tx: self.tx.clone(), capacity: self.capacity }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("chan", &self.tx.chan).finish()
    }
}

/// Receives the values of a bounded channel.
pub struct Receiver<T> {
    rx: Rx<T>,
    /// The channel's bound.
    capacity: usize,
}

impl<T> Receiver<T> {
    /// Waits for the next value. `None` once every sender is gone (or the channel was
    /// closed) and the values sent before are received.
    ///
    /// Cancel safe: no value is lost if the future is dropped.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + '_ {
        self.rx.recv("mpsc::Receiver::recv", Location::caller())
    }

    /// Waits for values and moves up to `limit` of them into `buffer`; returns how many.
    /// 0 only once the channel is closed and empty, or if `limit` is 0.
    #[track_caller]
    pub fn recv_many<'a>(&'a mut self, buffer: &'a mut Vec<T>, limit: usize) -> impl Future<Output = usize> + 'a {
        self.rx.recv_many(buffer, limit, "mpsc::Receiver::recv_many", Location::caller())
    }

    /// Takes the next value if there is one, without waiting.
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv("mpsc::Receiver::try_recv")
    }

    /// Polls for the next value, for hand-written futures and streams. Unlike
    /// [`recv`](Receiver::recv) it is not a scheduling point of its own.
    #[track_caller]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx, "mpsc::Receiver::poll_recv", Location::caller())
    }

    /// Closes the channel for the senders: waiting and later sends fail, while the values
    /// already sent can still be received.
    #[track_caller]
    pub fn close(&mut self) {
        self.rx.close("mpsc::Receiver::close");
    }

    /// Whether the channel is closed: every sender is gone, or [`close`](Receiver::close) was called.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.rx.is_closed("mpsc::Receiver::is_closed")
    }

    /// How many values are queued.
    #[track_caller]
    pub fn len(&self) -> usize {
        self.rx.len("mpsc::Receiver::len")
    }

    /// Whether no value is queued.
    #[track_caller]
    pub fn is_empty(&self) -> bool {
        self.rx.len("mpsc::Receiver::is_empty") == 0
    }

    /// The free slots right now.
    #[track_caller]
    pub fn capacity(&self) -> usize {
        let at = engine::begin();
        let free = self.rx.chan.slots.as_ref().map_or(0, permits::Permits::available);
        engine::record_with("mpsc::Receiver::capacity", at, || free.to_string());
        free
    }

    /// The channel's bound, as given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.capacity
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("chan", &self.rx.chan).finish()
    }
}

/// A reserved slot of a bounded channel, from [`Sender::reserve`]: sending through it
/// cannot wait or fail for want of room. Dropped unused, it gives the slot back.
pub struct Permit<'a, T> {
    sender: &'a Sender<T>,
    sent: bool,
}

impl<T> Permit<'_, T> {
    /// Sends `value` in the reserved slot. If the receiver is gone meanwhile, the value is
    /// dropped, as tokio's.
    #[track_caller]
    pub fn send(mut self, value: T) {
        let at = engine::begin();
        self.sent = true;
        let sent = self.sender.push_in_slot(value, at).is_ok();
        engine::record_with("mpsc::Permit::send", at, || if sent { "sent" } else { "closed: value dropped" }.into());
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        if !self.sent {
            self.sender.slots().release(1);
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

//! The bounded channel: a sender waits while the channel is full.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::task::{Context, Poll};

use super::chan::{Chan, Rx, Tx, WeakTx};
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
            let result = match self.tx.chan.acquire_slots(1, "mpsc::Sender::send", at).await {
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
            self.reserve_slots(1, "mpsc::Sender::reserve", at).await?;
            Ok(Permit { sender: self, sent: false })
        }
    }

    /// Waits for `n` free slots and reserves them all at once: each [`Permit`] the iterator
    /// gives sends one value. Fails if the receiver is gone, or if `n` exceeds the bound.
    /// Cancel safe: dropping the future reserves nothing.
    #[track_caller]
    pub fn reserve_many(&self, n: usize) -> impl Future<Output = Result<PermitIterator<'_, T>, SendError<()>>> + '_ {
        let at = Location::caller();
        async move {
            if n > self.capacity {
                engine::point().await;
                engine::record_with("mpsc::Sender::reserve_many", at, || format!("{n} > the bound"));
                return Err(SendError(()));
            }
            self.reserve_slots(n, "mpsc::Sender::reserve_many", at).await?;
            Ok(PermitIterator { sender: self, left: n })
        }
    }

    /// Like [`reserve`](Sender::reserve), moving the sender into the [`OwnedPermit`], which
    /// can then move into a task.
    #[track_caller]
    pub fn reserve_owned(self) -> impl Future<Output = Result<OwnedPermit<T>, SendError<()>>> {
        let at = Location::caller();
        async move {
            self.reserve_slots(1, "mpsc::Sender::reserve_owned", at).await?;
            Ok(OwnedPermit { sender: Some(self) })
        }
    }

    async fn reserve_slots(
        &self,
        n: usize,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Result<(), SendError<()>> {
        let reserved = self.tx.chan.acquire_slots(n, operation, at).await;
        engine::record_with(operation, at, || match reserved {
            Ok(()) if n == 1 => "reserved".into(),
            Ok(()) => format!("reserved {n}"),
            Err(permits::Closed) => "closed".into(),
        });
        reserved.map_err(|permits::Closed| SendError(()))
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
            let slot = self.tx.chan.acquire_slots(1, "mpsc::Sender::send_timeout", at);
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
        self.try_reserve_slots(1, "mpsc::Sender::try_reserve")?;
        Ok(Permit { sender: self, sent: false })
    }

    /// Reserves `n` slots if they are free, without waiting; `Full` if `n` exceeds the bound.
    #[track_caller]
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        self.try_reserve_slots(n, "mpsc::Sender::try_reserve_many")?;
        Ok(PermitIterator { sender: self, left: n })
    }

    /// Like [`try_reserve`](Sender::try_reserve), moving the sender into the
    /// [`OwnedPermit`]; on failure the sender comes back in the error.
    #[track_caller]
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.try_reserve_slots(1, "mpsc::Sender::try_reserve_owned") {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    #[track_caller]
    fn try_reserve_slots(&self, n: usize, operation: &'static str) -> Result<(), TrySendError<()>> {
        let at = engine::begin();
        let acquired =
            if n > self.capacity { Err(permits::TryAcquireError::NoPermits) } else { self.slots().try_acquire(n) };
        let result = match acquired {
            Ok(()) => Ok(()),
            Err(permits::TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(permits::TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        };
        engine::record_with(operation, at, || match &result {
            Ok(()) if n == 1 => "reserved".into(),
            Ok(()) => format!("reserved {n}"),
            Err(TrySendError::Full(())) => "full".into(),
            Err(TrySendError::Closed(())) => "closed".into(),
        });
        result
    }

    /// Sends from synchronous code, blocking the thread (inside a run, the blocking task)
    /// while the channel is full, as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        engine::block_on(self.send(value))
    }

    /// A [`WeakSender`], which does not keep the channel open.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender { tx: self.tx.downgrade(), capacity: self.capacity }
    }

    /// Live senders of the channel (this one included).
    pub fn strong_count(&self) -> usize {
        self.tx.chan.sender_counts().0
    }

    /// Weak senders of the channel.
    pub fn weak_count(&self) -> usize {
        self.tx.chan.sender_counts().1
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
        self.tx.push(value, at).inspect_err(|_| self.tx.chan.give_back_slot())
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

    /// Waits for the next value from synchronous code, blocking the thread (inside a run,
    /// the blocking task), as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        engine::block_on(self.recv())
    }

    /// [`recv_many`](Receiver::recv_many) from synchronous code, as
    /// [`blocking_recv`](Receiver::blocking_recv).
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        engine::block_on(self.recv_many(buffer, limit))
    }

    /// Polls for values, as [`recv_many`](Receiver::recv_many), for hand-written futures.
    #[track_caller]
    pub fn poll_recv_many(&mut self, cx: &mut Context<'_>, buffer: &mut Vec<T>, limit: usize) -> Poll<usize> {
        self.rx.poll_recv_many(cx, buffer, limit, "mpsc::Receiver::poll_recv_many", Location::caller())
    }

    /// Live senders of the channel.
    pub fn sender_strong_count(&self) -> usize {
        self.rx.chan.sender_counts().0
    }

    /// Weak senders of the channel.
    pub fn sender_weak_count(&self) -> usize {
        self.rx.chan.sender_counts().1
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
            self.sender.tx.chan.give_back_slot();
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

/// A sender that does not keep the channel open, from [`Sender::downgrade`]: it becomes a
/// [`Sender`] again with [`upgrade`](WeakSender::upgrade) while another sender lives.
pub struct WeakSender<T> {
    tx: WeakTx<T>,
    capacity: usize,
}

impl<T> WeakSender<T> {
    /// A sender again, or `None` once every sender is gone.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.tx.upgrade().map(|tx| Sender { tx, capacity: self.capacity })
    }

    /// Live senders of the channel.
    pub fn strong_count(&self) -> usize {
        self.tx.chan.sender_counts().0
    }

    /// Weak senders of the channel (this one included).
    pub fn weak_count(&self) -> usize {
        self.tx.chan.sender_counts().1
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender { tx: self.tx.clone(), capacity: self.capacity }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

/// Reserved slots, from [`Sender::reserve_many`]: each [`Permit`] it yields sends one
/// value; those never taken go back to the channel when it is dropped.
pub struct PermitIterator<'a, T> {
    sender: &'a Sender<T>,
    left: usize,
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        self.left = self.left.checked_sub(1)?;
        Some(Permit { sender: self.sender, sent: false })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> std::iter::FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        for _ in 0..std::mem::take(&mut self.left) {
            self.sender.tx.chan.give_back_slot();
        }
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator").field("left", &self.left).finish_non_exhaustive()
    }
}

/// A reserved slot that owns its [`Sender`], from [`Sender::reserve_owned`]: it can move
/// into a task. Sending (or [`release`](OwnedPermit::release)) gives the sender back;
/// dropped unused, it gives the slot back.
pub struct OwnedPermit<T> {
    /// `None` once used.
    sender: Option<Sender<T>>,
}

impl<T> OwnedPermit<T> {
    /// Sends `value` in the reserved slot and gives the sender back. If the receiver is
    /// gone meanwhile, the value is dropped, as tokio's.
    #[track_caller]
    pub fn send(mut self, value: T) -> Sender<T> {
        let at = engine::begin();
        let sender = self.sender.take().expect("an unused permit holds its sender");
        let sent = sender.push_in_slot(value, at).is_ok();
        engine::record_with("mpsc::OwnedPermit::send", at, || {
            if sent { "sent" } else { "closed: value dropped" }.into()
        });
        sender
    }

    /// Gives the slot back unused, and the sender with it.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("an unused permit holds its sender");
        sender.tx.chan.give_back_slot();
        sender
    }

    /// Whether both permits send into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        match (&self.sender, &other.sender) {
            (Some(this), Some(other)) => this.same_channel(other),
            _ => false,
        }
    }

    /// Whether this permit sends into `sender`'s channel.
    pub fn same_channel_as_sender(&self, sender: &Sender<T>) -> bool {
        self.sender.as_ref().is_some_and(|own| own.same_channel(sender))
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.tx.chan.give_back_slot();
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}

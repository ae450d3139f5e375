//! The unbounded channel: sending never waits.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::task::{Context, Poll};

use super::chan::{Chan, Rx, Tx, WeakTx};
use super::error::{SendError, TryRecvError};
use crate::engine;

/// A channel without a bound: [`UnboundedSender::send`] never waits.
#[track_caller]
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None, "mpsc::unbounded_channel", Location::caller());
    (UnboundedSender { tx: Tx::new(chan.clone()) }, UnboundedReceiver { rx: Rx::new(chan) })
}

/// Sends values into an unbounded channel; clone it to send from several tasks.
pub struct UnboundedSender<T> {
    tx: Tx<T>,
}

impl<T> UnboundedSender<T> {
    /// Sends `value` without waiting. Fails, giving the value back, if the receiver is
    /// dropped or closed the channel.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let at = engine::begin();
        let result = self.tx.push(value, at).map_err(SendError);
        engine::record_with("mpsc::UnboundedSender::send", at, || {
            if result.is_ok() { "sent" } else { "closed" }.into()
        });
        result
    }

    /// Waits until the receiver is dropped or closes the channel.
    ///
    /// Cancel safe.
    #[track_caller]
    pub fn closed(&self) -> impl Future<Output = ()> + '_ {
        self.tx.closed("mpsc::UnboundedSender::closed", Location::caller())
    }

    /// Whether the receiver was dropped or closed the channel: sends would fail.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed("mpsc::UnboundedSender::is_closed")
    }

    /// Whether both senders send into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.tx.same_channel(&other.tx)
    }

    /// A [`WeakUnboundedSender`], which does not keep the channel open.
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender { tx: self.tx.downgrade() }
    }

    /// Live senders of the channel (this one included).
    pub fn strong_count(&self) -> usize {
        self.tx.chan.sender_counts().0
    }

    /// Weak senders of the channel.
    pub fn weak_count(&self) -> usize {
        self.tx.chan.sender_counts().1
    }
}

/// An unbounded sender that does not keep the channel open, from
/// [`UnboundedSender::downgrade`].
pub struct WeakUnboundedSender<T> {
    tx: WeakTx<T>,
}

impl<T> WeakUnboundedSender<T> {
    /// A sender again, or `None` once every sender is gone.
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.tx.upgrade().map(|tx| UnboundedSender { tx })
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

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender { tx: self.tx.clone() }
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender").finish_non_exhaustive()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender { tx: self.tx.clone() }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").field("chan", &self.tx.chan).finish()
    }
}

/// Receives the values of an unbounded channel.
pub struct UnboundedReceiver<T> {
    rx: Rx<T>,
}

impl<T> UnboundedReceiver<T> {
    /// Waits for the next value. `None` once every sender is gone (or the channel was
    /// closed) and the values sent before are received.
    ///
    /// Cancel safe: no value is lost if the future is dropped.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + '_ {
        self.rx.recv("mpsc::UnboundedReceiver::recv", Location::caller())
    }

    /// Waits for values and moves up to `limit` of them into `buffer`; returns how many.
    /// 0 only once the channel is closed and empty, or if `limit` is 0.
    #[track_caller]
    pub fn recv_many<'a>(&'a mut self, buffer: &'a mut Vec<T>, limit: usize) -> impl Future<Output = usize> + 'a {
        self.rx.recv_many(buffer, limit, "mpsc::UnboundedReceiver::recv_many", Location::caller())
    }

    /// Takes the next value if there is one, without waiting.
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv("mpsc::UnboundedReceiver::try_recv")
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

    /// [`recv_many`](UnboundedReceiver::recv_many) from synchronous code, as
    /// [`blocking_recv`](UnboundedReceiver::blocking_recv).
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        engine::block_on(self.recv_many(buffer, limit))
    }

    /// Polls for values, as [`recv_many`](UnboundedReceiver::recv_many), for hand-written futures.
    #[track_caller]
    pub fn poll_recv_many(&mut self, cx: &mut Context<'_>, buffer: &mut Vec<T>, limit: usize) -> Poll<usize> {
        self.rx.poll_recv_many(cx, buffer, limit, "mpsc::UnboundedReceiver::poll_recv_many", Location::caller())
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
    /// [`recv`](UnboundedReceiver::recv) it is not a scheduling point of its own.
    #[track_caller]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx, "mpsc::UnboundedReceiver::poll_recv", Location::caller())
    }

    /// Closes the channel for the senders: later sends fail, while the values already
    /// sent can still be received.
    #[track_caller]
    pub fn close(&mut self) {
        self.rx.close("mpsc::UnboundedReceiver::close");
    }

    /// Whether the channel is closed: every sender is gone, or [`close`](UnboundedReceiver::close) was called.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.rx.is_closed("mpsc::UnboundedReceiver::is_closed")
    }

    /// How many values are queued.
    #[track_caller]
    pub fn len(&self) -> usize {
        self.rx.len("mpsc::UnboundedReceiver::len")
    }

    /// Whether no value is queued.
    #[track_caller]
    pub fn is_empty(&self) -> bool {
        self.rx.len("mpsc::UnboundedReceiver::is_empty") == 0
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver").field("chan", &self.rx.chan).finish()
    }
}

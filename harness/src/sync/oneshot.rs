//! `oneshot`: a channel for a single value, with tokio's API, whose every send and receive is explored.
//!
//! ```
//! # racewright::check(|| async {
//! use racewright::sync::oneshot;
//!
//! let (tx, rx) = oneshot::channel();
//! racewright::spawn(async move {
//!     // Fails, giving the value back, if the receiver is gone.
//!     let _ = tx.send("done");
//! });
//! assert_eq!(rx.await, Ok("done"));
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::engine::channel::Closing;
use crate::engine::{self, Resource, StateGuard, StateLock, TaskId};

pub mod error {
    //! The errors of [`oneshot`](super) channels.

    use std::fmt;

    /// The sender was dropped without sending a value (or the receiver closed the channel first).
    #[derive(Debug, Eq, PartialEq, Clone)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}

    /// Why a [`try_recv`](super::Receiver::try_recv) returned no value.
    #[derive(Debug, Eq, PartialEq, Clone)]
    pub enum TryRecvError {
        /// No value yet; one may still come.
        Empty,
        /// No value will come: the sender is gone, the channel was closed, or the value was taken.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                TryRecvError::Empty => "channel empty",
                TryRecvError::Closed => "channel closed",
            })
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

/// A channel for one value: the [`Sender`] sends it, the [`Receiver`] (a future) awaits it.
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let resource = Resource::new("oneshot::channel", Location::caller());
    engine::channel::opened(resource, None);
    let inner = Arc::new(Inner {
        state: StateLock::new(State {
            value: None,
            sent_by: None,
            sender_gone: false,
            receiver_closed: false,
            receiver_waker: None,
            sender_waker: None,
        }),
        resource,
    });
    (Sender { inner: inner.clone() }, Receiver { inner: Some(inner), started: false })
}

struct Inner<T> {
    state: StateLock<State<T>>,
    resource: Resource,
}

struct State<T> {
    /// Sent and not yet received.
    value: Option<T>,
    /// Who sent the value, and where, inside an execution: said if it is lost.
    sent_by: Option<(TaskId, &'static Location<'static>)>,
    /// The sender was dropped (after sending or not).
    sender_gone: bool,
    /// The receiver called `close` or was dropped.
    receiver_closed: bool,
    /// The task awaiting the `Receiver`.
    receiver_waker: Option<Waker>,
    /// The task in `Sender::closed`.
    sender_waker: Option<Waker>,
}

impl<T> Inner<T> {
    fn lock(&self) -> StateGuard<'_, State<T>> {
        self.state.lock()
    }

    /// Marks the receiving side closed, waking a task in `Sender::closed`.
    fn close_receiver(&self) {
        let waker = {
            let mut state = self.lock();
            state.receiver_closed = true;
            state.sender_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Sends the channel's one value.
pub struct Sender<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waking the receiver. Gives the value back if the receiver was
    /// dropped or closed the channel.
    #[track_caller]
    pub fn send(self, value: T) -> Result<(), T> {
        let at = engine::begin();
        let mut state = self.inner.lock();
        if state.receiver_closed {
            drop(state);
            engine::record_with("oneshot::Sender::send", at, || "receiver closed".into());
            return Err(value);
        }
        state.value = Some(value);
        state.sent_by = engine::current_task().map(|task| (task, at));
        drop(state);
        engine::channel::sent(self.inner.resource, at, 1);
        engine::record_with("oneshot::Sender::send", at, || "sent".into());
        // Dropping `self` wakes the receiver.
        Ok(())
    }

    /// Whether the receiver was dropped or closed the channel: a `send` would fail.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        let at = engine::begin();
        let closed = self.inner.lock().receiver_closed;
        engine::record_with("oneshot::Sender::is_closed", at, || closed.to_string());
        closed
    }

    /// Waits until the receiver is dropped or closes the channel, e.g. to stop computing
    /// a value nobody wants any more.
    ///
    /// Cancel safe. As tokio's, the task stays registered when the future is dropped: it is
    /// woken when the receiver closes, even if it no longer waits for that.
    #[track_caller]
    pub fn closed(&mut self) -> impl Future<Output = ()> + '_ {
        let at = Location::caller();
        async move {
            engine::point().await;
            std::future::poll_fn(|cx| self.poll_closed_at(cx, at)).await;
            engine::record("oneshot::Sender::closed", at);
        }
    }

    /// Polls for the receiver to be dropped or to close the channel, for hand-written
    /// futures, as tokio's: the task is woken then. Not a scheduling point of its own.
    #[track_caller]
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_closed_at(cx, Location::caller())
    }

    fn poll_closed_at(&mut self, cx: &mut Context<'_>, at: &'static Location<'static>) -> Poll<()> {
        let mut state = self.inner.lock();
        if state.receiver_closed {
            return Poll::Ready(());
        }
        // A replaced waker is dropped once the lock is let go: its drop may use the channel.
        let mut replaced = None;
        if !state.sender_waker.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
            replaced = state.sender_waker.replace(cx.waker().clone());
        }
        drop(state);
        drop(replaced);
        engine::wait("oneshot::Sender::closed", at, Some(self.inner.resource));
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.inner.lock();
            state.sender_gone = true;
            // Dropped after sending, the sender closes nothing the receiver would notice.
            if state.value.is_none() {
                engine::channel::closed(self.inner.resource, Closing::SendersDropped);
            }
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// Receives the channel's one value: a future of `Result<T, RecvError>`, which fails if
/// the sender is dropped without sending.
///
/// Awaiting it is a scheduling point and an event of the trace, located where the channel
/// was created (a `poll` cannot know where it is awaited).
pub struct Receiver<T> {
    /// `None` once the value is received, or the channel found closed.
    inner: Option<Arc<Inner<T>>>,
    /// The scheduling point of the first poll is behind us.
    started: bool,
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent, without waiting.
    ///
    /// `Empty` while a value may still come; `Closed` once none will (and after the value
    /// was taken).
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let at = engine::begin();
        let result = match &self.inner {
            None => Err(TryRecvError::Closed),
            Some(inner) => {
                let mut state = inner.lock();
                match state.value.take() {
                    Some(value) => {
                        engine::channel::taken(inner.resource, 0);
                        Ok(value)
                    }
                    None if state.sender_gone || state.receiver_closed => Err(TryRecvError::Closed),
                    None => Err(TryRecvError::Empty),
                }
            }
        };
        if !matches!(result, Err(TryRecvError::Empty)) {
            self.inner = None;
        }
        engine::record_with("oneshot::Receiver::try_recv", at, || match &result {
            Ok(_) => "got the value".into(),
            Err(error) => error.to_string(),
        });
        result
    }

    /// Waits for the value from synchronous code, blocking the thread (inside a run, the
    /// blocking task), as tokio's.
    ///
    /// # Panics
    /// In an async context (a task of a run or of a tokio runtime, not a blocking one), as tokio's.
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        engine::block_on(self)
    }

    /// Closes the channel: a later `send` fails. A value sent before can still be received.
    #[track_caller]
    pub fn close(&mut self) {
        let at = engine::begin();
        engine::record("oneshot::Receiver::close", at);
        if let Some(inner) = &self.inner {
            engine::channel::closed(inner.resource, Closing::ReceiverClosed);
            inner.close_receiver();
        }
    }

    /// Whether the value was received, or the channel found closed: polling again would panic.
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Whether there is no value to take right now.
    #[track_caller]
    pub fn is_empty(&self) -> bool {
        let at = engine::begin();
        let empty = self.inner.as_ref().is_none_or(|inner| inner.lock().value.is_none());
        engine::record_with("oneshot::Receiver::is_empty", at, || empty.to_string());
        empty
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let inner = this.inner.as_ref().expect("called after complete");
        if !this.started {
            std::task::ready!(engine::poll_point(cx));
            this.started = true;
        }
        let at = inner.resource.created_at;
        let proceed = std::task::ready!(engine::poll_proceed(cx));
        let mut state = inner.lock();
        let result = match state.value.take() {
            Some(value) => {
                engine::channel::taken(inner.resource, 0);
                Ok(value)
            }
            None if state.sender_gone || state.receiver_closed => Err(RecvError(())),
            None => {
                // The waker it replaces is dropped once the lock is let go: its drop may use
                // the channel.
                let replaced = state.receiver_waker.replace(cx.waker().clone());
                drop(state);
                drop(replaced);
                engine::wait("oneshot::Receiver::await", at, Some(inner.resource));
                return Poll::Pending;
            }
        };
        drop(state);
        engine::record_with("oneshot::Receiver::await", at, || {
            if result.is_ok() { "got the value" } else { "closed" }.into()
        });
        proceed.made_progress();
        this.inner = None;
        Poll::Ready(result)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            engine::channel::closed(inner.resource, Closing::ReceiverDropped);
            inner.close_receiver();
            // Dropped outside the lock: its destructor may use the channel's other half.
            let (value, sent_by) = {
                let mut state = inner.lock();
                (state.value.take(), state.sent_by.take())
            };
            if value.is_some() {
                engine::messages_lost(inner.resource, 1, sent_by);
            }
            drop(value);
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("terminated", &self.inner.is_none()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use tokio_test::{assert_pending, assert_ready, assert_ready_eq, task};

    use super::channel;
    use super::error::{RecvError, TryRecvError};
    use crate::{FailureKind, Scenario};

    #[test]
    fn the_value_reaches_a_waiting_receiver() {
        let (tx, rx) = channel();
        let mut rx = task::spawn(rx);
        assert_pending!(rx.poll());
        assert_eq!(tx.send(7), Ok(()));
        assert!(rx.is_woken());
        assert_ready_eq!(rx.poll(), Ok(7));
        assert!(rx.is_terminated());
    }

    #[test]
    fn try_recv_is_empty_then_takes_the_value_then_is_closed() {
        let (tx, mut rx) = channel();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert!(rx.is_empty());
        tx.send("v").unwrap();
        assert!(!rx.is_empty());
        assert_eq!(rx.try_recv(), Ok("v"));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn dropping_the_sender_fails_the_receiver() {
        let (tx, rx) = channel::<u8>();
        let mut rx = task::spawn(rx);
        assert_pending!(rx.poll());
        drop(tx);
        assert!(rx.is_woken());
        assert_ready_eq!(rx.poll(), Err(RecvError(())));
    }

    #[test]
    fn close_fails_later_sends_but_keeps_a_value_sent_before() {
        let (tx, mut rx) = channel();
        rx.close();
        assert_eq!(tx.send(1), Err(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

        let (tx, mut rx) = channel();
        tx.send(2).unwrap();
        rx.close();
        assert_eq!(rx.try_recv(), Ok(2));
    }

    #[test]
    fn the_sender_learns_that_the_receiver_is_gone() {
        let (mut tx, rx) = channel::<()>();
        assert!(!tx.is_closed());
        let mut closed = task::spawn(tx.closed());
        assert_pending!(closed.poll());
        drop(rx);
        assert!(closed.is_woken());
        assert_ready!(closed.poll());
        drop(closed);
        assert!(tx.is_closed());
        assert_eq!(tx.send(()), Err(()));
    }

    #[test]
    fn poll_closed_wakes_the_sender_when_the_receiver_closes() {
        let (mut tx, mut rx) = channel::<()>();
        let mut sender = task::spawn(());
        assert_pending!(sender.enter(|cx, _| tx.poll_closed(cx)));
        rx.close();
        assert!(sender.is_woken());
        assert_ready!(sender.enter(|cx, _| tx.poll_closed(cx)));
    }

    #[test]
    fn a_dropped_closed_future_leaves_the_task_registered_as_tokios() {
        let (mut tx, rx) = channel::<()>();
        let mut sender = task::spawn(());
        sender.enter(|cx, _| {
            let mut closed = std::pin::pin!(tx.closed());
            assert!(closed.as_mut().poll(cx).is_pending());
        });
        drop(rx);
        assert!(sender.is_woken());
    }

    #[test]
    fn blocking_recv_in_a_blocking_task() {
        crate::check(|| async {
            let (tx, rx) = channel();
            let receiver = crate::task::spawn_blocking(move || rx.blocking_recv());
            tx.send("hello").unwrap();
            assert_eq!(receiver.await.unwrap(), Ok("hello"));
        });
        let (tx, rx) = channel();
        tx.send(1).unwrap();
        assert_eq!(rx.blocking_recv(), Ok(1));
    }

    #[test]
    #[should_panic(expected = "called after complete")]
    fn polling_after_completion_panics() {
        let (tx, rx) = channel();
        let mut rx = task::spawn(rx);
        tx.send(()).unwrap();
        assert_ready_eq!(rx.poll(), Ok(()));
        let _ = rx.poll();
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let (tx, rx) = channel();
        tokio::spawn(async move { tx.send(5).unwrap() });
        assert_eq!(rx.await, Ok(5));
    }

    #[test]
    fn a_reply_from_another_task_arrives() {
        crate::check(|| async {
            let (tx, rx) = channel();
            let worker = crate::spawn(async move { tx.send(42).unwrap() });
            assert_eq!(rx.await, Ok(42));
            worker.await.unwrap();
        });
    }

    #[test]
    fn waiting_for_the_reply_while_the_sender_waits_for_us_is_a_deadlock() {
        let report = Scenario::new("oneshot::wait_cycle").iterations(20).run(|| async {
            let (mut tx, rx) = channel::<u8>();
            let worker = crate::spawn(async move {
                // The bug: it waits for the receiver to go away before replying.
                tx.closed().await;
            });
            let _ = rx.await;
            worker.await.unwrap();
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    }
}

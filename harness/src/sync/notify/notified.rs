//! The futures that wait on a [`Notify`]: what they registered, and how they complete.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::{Notification, Notify, Waiter};
use crate::engine;
use crate::sync::wait_list::WaiterId;

impl Notify {
    fn poll_registration(&self, registration: &mut Registration, waker: Option<&Waker>) -> Poll<()> {
        // A waker replaced by this poll is dropped once the lock is let go: its drop may
        // use this `Notify` (send on the channel that waits on it, say).
        let mut replaced = None;
        let poll = self.poll_registration_locked(registration, waker, &mut replaced);
        drop(replaced);
        poll
    }

    fn poll_registration_locked(
        &self,
        registration: &mut Registration,
        waker: Option<&Waker>,
        replaced: &mut Option<Waker>,
    ) -> Poll<()> {
        if registration.stage == Stage::Done {
            return Poll::Ready(());
        }
        if !registration.started {
            registration.started = true;
            engine::scheduling_point();
        }
        let mut state = self.lock();
        let how = match registration.stage {
            Stage::Init if state.waiters_calls != registration.waiters_calls => "by notify_waiters",
            Stage::Init if state.permit => {
                state.permit = false;
                "took permit"
            }
            Stage::Init => {
                let id = state.waiters.push(Waiter { waker: waker.cloned(), notification: None });
                registration.stage = Stage::Waiting(id);
                return Poll::Pending;
            }
            Stage::Waiting(id) => {
                let waiter = state.waiters.get_mut(id).expect("a waiting Notified stays registered until it completes");
                match waiter.notification {
                    Some(notification) => {
                        state.waiters.remove(id);
                        match notification {
                            Notification::One(_) => "by notify_one",
                            Notification::All => "by notify_waiters",
                        }
                    }
                    None => {
                        if let Some(waker) = waker {
                            *replaced = waiter.waker.replace(waker.clone());
                        }
                        return Poll::Pending;
                    }
                }
            }
            Stage::Done => unreachable!("handled above"),
        };
        drop(state);
        registration.stage = Stage::Done;
        if registration.facade {
            engine::record_with(registration.operation, registration.at, || how.into());
        }
        Poll::Ready(())
    }

    fn poll_future(&self, registration: &mut Registration, cx: &mut Context<'_>) -> Poll<()> {
        if !registration.started && registration.stage != Stage::Done {
            std::task::ready!(engine::poll_point(cx));
            registration.started = true;
        }
        let poll = self.poll_registration(registration, Some(cx.waker()));
        if poll.is_pending() {
            engine::wait(registration.operation, registration.at, Some(self.resource));
        }
        poll
    }

    /// Deregisters a dropped `Notified`; one that got a `notify_one` passes it on.
    fn drop_registration(&self, registration: &mut Registration) {
        let Stage::Waiting(id) = registration.stage else { return };
        registration.stage = Stage::Done;
        let waker = {
            let mut state = self.lock();
            let Some(waiter) = state.waiters.remove(id) else { return };
            let Some(Notification::One(strategy)) = waiter.notification else { return };
            state.notify_one(strategy).1
        };
        if registration.facade {
            engine::record_with(registration.operation, registration.at, || "dropped, passed on".into());
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Where a `Notified` is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Created, not registered: it only sees `notify_waiters` calls (by the counter) and the permit.
    Init,
    /// Registered in the queue under this id.
    Waiting(WaiterId),
    /// Completed: polling again returns `Ready`.
    Done,
}

/// What a `Notified` or `OwnedNotified` knows of its wait.
#[derive(Debug)]
pub(super) struct Registration {
    /// `notify_waiters` calls when the future was created.
    waiters_calls: u64,
    stage: Stage,
    /// The scheduling point of the first poll is behind us (or is not ours to take).
    started: bool,
    /// A facade future: takes a scheduling point on its first poll and records its
    /// completion. When another primitive waits through a `Notify`, it does both itself.
    facade: bool,
    operation: &'static str,
    at: &'static Location<'static>,
}

impl Registration {
    pub(super) fn new(notify: &Notify, operation: &'static str, at: &'static Location<'static>, facade: bool) -> Self {
        let waiters_calls = notify.lock().waiters_calls;
        Registration { waiters_calls, stage: Stage::Init, started: !facade, facade, operation, at }
    }
}

/// The future of [`Notify::notified`]: completes at the next notification.
///
/// Cancel safe: dropped after it was handed a `notify_one`, it passes that notification on
/// to the next waiter (or stores it as the permit), as tokio's does.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    registration: Registration,
}

impl<'a> Notified<'a> {
    pub(super) fn new(notify: &'a Notify, registration: Registration) -> Self {
        Notified { notify, registration }
    }

    /// Registers this future as waiting without polling it, so that a later `notify_one`
    /// goes to it. Returns `true` if it is already notified (then awaiting it returns at once).
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.notify.poll_registration(&mut this.registration, None).is_ready()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.notify.poll_future(&mut this.registration, cx)
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        self.notify.drop_registration(&mut self.registration);
    }
}

/// The future of [`Notify::notified_owned`]: a [`Notified`] that owns an `Arc` of its `Notify`.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    registration: Registration,
}

impl OwnedNotified {
    pub(super) fn new(notify: Arc<Notify>, registration: Registration) -> Self {
        OwnedNotified { notify, registration }
    }

    /// As [`Notified::enable`].
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.notify.poll_registration(&mut this.registration, None).is_ready()
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.notify.poll_future(&mut this.registration, cx)
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        self.notify.drop_registration(&mut self.registration);
    }
}

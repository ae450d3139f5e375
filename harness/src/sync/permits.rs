//! The fair, cancellation-safe permit queue that `Mutex`, `RwLock` and `Semaphore` are
//! built on, as tokio builds them on its batch semaphore.
//!
//! Waiters are served in FIFO order: released permits go to the waiter at the head of
//! the queue (partially, if it needs more than there are) and nobody overtakes it.
//! A waiter dropped while queued gives back what it was assigned, so cancelling an
//! `acquire` never loses permits.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::wait_list::{WaitList, WaiterId};
use crate::engine::{self, Resource, StateGuard, StateLock};

/// The permits of one primitive.
#[derive(Debug)]
pub(crate) struct Permits {
    state: StateLock<State>,
    /// What the primitive is, for reports: `Mutex`, `Semaphore`...
    pub(crate) resource: Resource,
}

#[derive(Debug)]
struct State {
    available: usize,
    closed: bool,
    /// Invariant: only the waiters before the first incomplete one are complete.
    queue: WaitList<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    needed: usize,
    assigned: usize,
    waker: Option<Waker>,
}

/// Why an acquisition failed: the permits were closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

/// Why a `try_acquire` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryAcquireError {
    Closed,
    NoPermits,
}

impl Permits {
    pub(crate) fn new(permits: usize, kind: &'static str, created_at: &'static Location<'static>) -> Self {
        Permits::of(permits, Resource::new(kind, created_at))
    }

    /// Permits that reports name as `resource`: a bounded channel's slots, which a sender
    /// waits for as for the channel itself.
    pub(crate) fn of(permits: usize, resource: Resource) -> Self {
        Permits { state: StateLock::new(State { available: permits, closed: false, queue: WaitList::new() }), resource }
    }

    /// Permits made by a `const fn`, for a `static`; `closed` ones fail every acquisition.
    pub(crate) const fn const_new(
        permits: usize,
        closed: bool,
        kind: &'static str,
        created_at: &'static Location<'static>,
    ) -> Self {
        Permits {
            state: StateLock::const_new(State { available: permits, closed, queue: WaitList::new() }),
            resource: Resource::new_const(kind, created_at),
        }
    }

    fn lock(&self) -> StateGuard<'_, State> {
        self.state.lock()
    }

    /// Takes `n` permits for the running task: waits for them, then records the operation
    /// (with `detail`, if any) and the task's hold; a failure is recorded as `closed`.
    pub(crate) async fn acquire_held(
        &self,
        n: usize,
        operation: &'static str,
        at: &'static Location<'static>,
        detail: Option<String>,
    ) -> Result<(), Closed> {
        let acquired = self.acquire(n, operation, at).await;
        match (&acquired, detail) {
            (Err(Closed), _) => engine::record_with(operation, at, || "closed".into()),
            (Ok(()), Some(detail)) => engine::record_with(operation, at, || detail),
            (Ok(()), None) => engine::record(operation, at),
        }
        if acquired.is_ok() {
            engine::acquired(self.resource, at);
        }
        acquired
    }

    /// Takes `n` permits for the running task if they are free: a scheduling point, recorded
    /// with what `show` says of the result, the hold kept on success.
    pub(crate) fn try_acquire_held(
        &self,
        n: usize,
        operation: &'static str,
        at: &'static Location<'static>,
        show: impl FnOnce(&Result<(), TryAcquireError>) -> String,
    ) -> Result<(), TryAcquireError> {
        engine::scheduling_point();
        let result = self.try_acquire(n);
        engine::record_with(operation, at, || show(&result));
        if result.is_ok() {
            engine::acquired(self.resource, at);
        }
        result
    }

    /// Gives back `n` permits taken at `at`, and the hold they were when `held`; recorded as
    /// `operation` (with `detail`) when there are any. Never a scheduling point: guards and
    /// permits are dropped anywhere.
    pub(crate) fn release_held(
        &self,
        n: usize,
        held: bool,
        operation: &'static str,
        detail: Option<String>,
        at: &'static Location<'static>,
    ) {
        if n > 0 {
            match detail {
                Some(detail) => engine::record_with(operation, at, || detail),
                None => engine::record(operation, at),
            }
        }
        if held {
            engine::released(self.resource, at);
        }
        self.release(n);
        if n > 0 {
            engine::release_point();
        }
    }

    /// Takes `n` permits as a lock: waits for them, then records the operation and who
    /// holds them now. For locks, which are never closed.
    pub(crate) async fn acquire_lock(&self, n: usize, operation: &'static str, at: &'static Location<'static>) {
        self.acquire_held(n, operation, at, None).await.expect("a lock is never closed");
    }

    /// Takes `n` permits as a lock if they are free; a scheduling point, recorded either way.
    pub(crate) fn try_acquire_lock(&self, n: usize, operation: &'static str, at: &'static Location<'static>) -> bool {
        let show =
            |result: &Result<(), TryAcquireError>| if result.is_ok() { "acquired" } else { "would block" }.into();
        self.try_acquire_held(n, operation, at, show).is_ok()
    }

    /// Gives back `n` permits taken as a lock at `at`: records it and forgets the hold.
    pub(crate) fn release_lock(
        &self,
        n: usize,
        operation: &'static str,
        detail: Option<&'static str>,
        at: &'static Location<'static>,
    ) {
        self.release_held(n, true, operation, detail.map(str::to_string), at);
    }

    /// Formats `name { data: .. }` for a lock's `Debug`: the value only if one permit is
    /// free (so no writer holds it), `<locked>` otherwise. Not a scheduling point.
    pub(crate) fn debug_data<T: ?Sized + std::fmt::Debug>(
        &self,
        f: &mut std::fmt::Formatter<'_>,
        name: &str,
        data: *const T,
    ) -> std::fmt::Result {
        let mut debug = f.debug_struct(name);
        match self.try_acquire(1) {
            Ok(()) => {
                // SAFETY: the permit just taken keeps writers out while the value is read.
                debug.field("data", &unsafe { &*data });
                self.release(1);
            }
            Err(_) => {
                debug.field("data", &format_args!("<locked>"));
            }
        }
        debug.finish()
    }

    /// Permits not held by anyone.
    pub(crate) fn available(&self) -> usize {
        self.lock().available
    }

    /// Takes `n` permits if they are free and nobody is queued before us.
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut state = self.lock();
        if state.closed {
            return Err(TryAcquireError::Closed);
        }
        // Zero permits are always there, even behind a queue (as in tokio).
        if n == 0 || (state.queue.is_empty() && state.available >= n) {
            state.available -= n;
            Ok(())
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Waits for `n` permits. `operation` and `at` name the wait in reports.
    pub(crate) fn acquire(&self, n: usize, operation: &'static str, at: &'static Location<'static>) -> Acquire<'_> {
        Acquire { permits: self, needed: n, id: None, holding: false, started: false, operation, at }
    }

    /// Gives back `n` permits, handing them to queued waiters first.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let wakers = {
            let mut state = self.lock();
            state.available += n;
            state.assign()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Adds permits that nobody held before (`Semaphore::add_permits`).
    pub(crate) fn add(&self, n: usize) {
        self.release(n);
    }

    /// Removes up to `n` free permits for good, returning how many were removed.
    pub(crate) fn forget(&self, n: usize) -> usize {
        let mut state = self.lock();
        let removed = n.min(state.available);
        state.available -= removed;
        removed
    }

    /// Closes: pending and future acquisitions fail, and permits given back from now on
    /// stay free. What a pending one was assigned stays its own until it is polled (and
    /// fails) or dropped, as in tokio: until then the permits are not available.
    pub(crate) fn close(&self) {
        let wakers: Vec<Waker> = {
            let mut state = self.lock();
            state.closed = true;
            state.queue.iter_mut().filter_map(|waiter| waiter.waker.take()).collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }
}

impl State {
    /// Hands free permits to the queue, in order; returns the wakers of the waiters completed.
    /// Once closed, the waiters left are failing: they get nothing.
    fn assign(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::new();
        if self.closed {
            return wakers;
        }
        for waiter in self.queue.iter_mut() {
            if waiter.assigned == waiter.needed {
                continue;
            }
            let given = self.available.min(waiter.needed - waiter.assigned);
            waiter.assigned += given;
            self.available -= given;
            if waiter.assigned < waiter.needed {
                break;
            }
            if let Some(waker) = waiter.waker.take() {
                wakers.push(waker);
            }
        }
        wakers
    }
}

/// The future of [`Permits::acquire`].
pub(crate) struct Acquire<'a> {
    permits: &'a Permits,
    needed: usize,
    /// Our place in the queue, once queued.
    id: Option<WaiterId>,
    /// The permits are ours, not yet handed out: the task's budget was spent.
    holding: bool,
    started: bool,
    operation: &'static str,
    at: &'static Location<'static>,
}

impl Future for Acquire<'_> {
    type Output = Result<(), Closed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if !self.started {
            std::task::ready!(engine::poll_point(cx));
            self.started = true;
        }
        // As tokio: the permits are taken first, in the queue's order, then the budget is
        // asked; a task out of budget yields holding them, and takes them at its next poll.
        if !self.holding {
            std::task::ready!(self.poll_acquire(cx))?;
            self.holding = true;
        }
        let proceed = std::task::ready!(engine::poll_proceed(cx));
        proceed.made_progress();
        self.holding = false;
        Poll::Ready(Ok(()))
    }
}

impl Acquire<'_> {
    fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let this = self;
        let mut state = this.permits.lock();
        match this.id {
            None => {
                if state.closed {
                    return Poll::Ready(Err(Closed));
                }
                // A waiter for zero permits would never be woken by `assign`: it is served at once.
                if this.needed == 0 || (state.queue.is_empty() && state.available >= this.needed) {
                    state.available -= this.needed;
                    return Poll::Ready(Ok(()));
                }
                let waiter = Waiter { needed: this.needed, assigned: 0, waker: Some(cx.waker().clone()) };
                this.id = Some(state.queue.push(waiter));
                // Permits may be free while others queue for more than there are.
                let wakers = state.assign();
                drop(state);
                for waker in wakers {
                    waker.wake();
                }
                engine::wait(this.operation, this.at, Some(this.permits.resource));
                Poll::Pending
            }
            Some(id) => {
                // Closed fails even a waiter that has all it asked for, as tokio's: what it
                // was assigned is free again.
                if state.closed {
                    let assigned = state.queue.remove(id).map_or(0, |waiter| waiter.assigned);
                    this.id = None;
                    state.available += assigned;
                    return Poll::Ready(Err(Closed));
                }
                let waiter = state.queue.get_mut(id).expect("a queued waiter stays queued");
                if waiter.assigned == waiter.needed {
                    state.queue.remove(id);
                    this.id = None;
                    return Poll::Ready(Ok(()));
                }
                // The waker it replaces is dropped once the lock is let go: its drop may
                // use these permits.
                let replaced = waiter.waker.replace(cx.waker().clone());
                drop(state);
                drop(replaced);
                engine::wait(this.operation, this.at, Some(this.permits.resource));
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if std::mem::take(&mut self.holding) {
            self.permits.release(self.needed);
            return;
        }
        let Some(id) = self.id.take() else { return };
        let wakers = {
            let mut state = self.permits.lock();
            let Some(waiter) = state.queue.remove(id) else { return };
            state.available += waiter.assigned;
            state.assign()
        };
        for waker in wakers {
            waker.wake();
        }
    }
}

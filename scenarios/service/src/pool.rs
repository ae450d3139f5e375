//! A connection pool that wakes every waiter when a connection comes back, and lets them
//! race for it.
//!
//! It has a bug of a kind real pools have had, planted behind
//! [`Pool::with_lost_wakeup_bug`]: a waiter checks the idle list, finds it empty, and
//! only then starts listening for returned connections. A connection checked in between
//! wakes nobody (`Notify::notify_waiters` keeps no permit, and completes only the
//! `Notified` futures that exist when it is called, as its documentation says), and the
//! waiter sleeps while a connection sits idle. [`Pool::new`] makes its `Notified` before
//! it checks, and never misses one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::time::{Duration, timeout};

/// A pool of connections `C`, shared by cloning.
pub struct Pool<C> {
    shared: Arc<Shared<C>>,
}

struct Shared<C> {
    idle: Mutex<VecDeque<C>>,
    /// Wakes every waiter when a connection is checked in; they race for it.
    returned: Notify,
    /// The planted bug: check the idle list before listening.
    check_before_listening: bool,
}

impl<C> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Pool { shared: self.shared.clone() }
    }
}

/// Why [`Pool::get_timeout`] gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

impl<C> Pool<C> {
    /// A pool of `connections`.
    pub fn new(connections: impl IntoIterator<Item = C>) -> Self {
        Pool::build(connections, false)
    }

    /// The same pool, with the lost-wakeup bug planted (see the crate docs): for the tests
    /// that show racewright finding it.
    pub fn with_lost_wakeup_bug(connections: impl IntoIterator<Item = C>) -> Self {
        Pool::build(connections, true)
    }

    fn build(connections: impl IntoIterator<Item = C>, check_before_listening: bool) -> Self {
        let idle = Mutex::new(connections.into_iter().collect());
        Pool { shared: Arc::new(Shared { idle, returned: Notify::new(), check_before_listening }) }
    }

    /// Waits for an idle connection and checks it out; it goes back when the guard drops.
    pub async fn get(&self) -> Pooled<C> {
        loop {
            if self.shared.check_before_listening {
                if let Some(connection) = self.take_idle() {
                    return self.pooled(connection);
                }
                // The planted bug: a connection checked in right here is never noticed.
                self.shared.returned.notified().await;
            } else {
                // Listening before checking: a connection returned after the check wakes us.
                let returned = self.shared.returned.notified();
                if let Some(connection) = self.take_idle() {
                    return self.pooled(connection);
                }
                returned.await;
            }
        }
    }

    fn pooled(&self, connection: C) -> Pooled<C> {
        Pooled { connection: Some(connection), shared: self.shared.clone() }
    }

    /// Like [`get`](Pool::get), giving up after `limit`.
    pub async fn get_timeout(&self, limit: Duration) -> Result<Pooled<C>, TimedOut> {
        timeout(limit, self.get()).await.map_err(|_| TimedOut)
    }

    /// Idle connections right now.
    pub fn idle(&self) -> usize {
        self.shared.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    fn take_idle(&self) -> Option<C> {
        self.shared.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop_front()
    }
}

/// A checked-out connection; dropping it checks the connection back in.
pub struct Pooled<C> {
    connection: Option<C>,
    shared: Arc<Shared<C>>,
}

impl<C> std::ops::Deref for Pooled<C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.connection.as_ref().expect("a pooled connection is there until dropped")
    }
}

impl<C> Drop for Pooled<C> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.shared.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push_back(connection);
            // Notified outside the idle list's lock: a woken waiter can take it at once.
            self.shared.returned.notify_waiters();
        }
    }
}

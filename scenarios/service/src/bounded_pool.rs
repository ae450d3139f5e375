//! A pool that opens connections on demand, up to a bound, and hands each returned one to
//! a single waiter.
//!
//! Its state is under a `parking_lot::Mutex`, and a check-in calls `Notify::notify_one`
//! while it holds that lock, as pools that hand a connection to exactly one waiter do. A
//! tool that switched tasks inside `notify_one` would run a waiter that blocks the only
//! thread on that same lock; racewright switches only where a task returns `Pending`, as
//! tokio does, and explores this pool as written.
//!
//! The planted bug ([`BoundedPool::with_unreserved_open`]): a caller that finds no idle
//! connection checks the bound, opens a connection (which takes an `.await`), and only then
//! counts it. Two callers can both see room for one more, and both open one: the pool
//! holds more connections than its bound. [`BoundedPool::new`] counts the connection in
//! the same critical section as the check, before it opens it.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::{Duration, sleep};

/// A pool of at most `max_open` connections, shared by cloning.
#[derive(Clone)]
pub struct BoundedPool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes one waiter per checked-in connection (or keeps the wakeup for the next one).
    returned: Notify,
    max_open: usize,
    /// The planted bug: count a connection once it is open, not before opening it.
    count_after_open: bool,
}

#[derive(Default)]
struct State {
    idle: VecDeque<Connection>,
    open: usize,
    most_open: usize,
}

/// A connection of the pool, numbered in the order they were opened.
#[derive(Debug, PartialEq, Eq)]
pub struct Connection {
    /// Its number: 1 for the first opened.
    pub id: usize,
}

/// What a caller of [`BoundedPool::get`] does after looking at the pool.
enum Next {
    Take(Connection),
    Open,
    Wait,
}

impl BoundedPool {
    /// A pool that opens at most `max_open` connections.
    pub fn new(max_open: usize) -> Self {
        BoundedPool::build(max_open, false)
    }

    /// The same pool with the bug planted (see the module's docs): for the tests that show
    /// racewright finding it.
    pub fn with_unreserved_open(max_open: usize) -> Self {
        BoundedPool::build(max_open, true)
    }

    fn build(max_open: usize, count_after_open: bool) -> Self {
        let shared = Shared { state: Mutex::default(), returned: Notify::new(), max_open, count_after_open };
        BoundedPool { shared: Arc::new(shared) }
    }

    /// An idle connection, a new one if the bound allows, or the next one checked in.
    pub async fn get(&self) -> Checkout {
        loop {
            let next = {
                let mut state = self.shared.state.lock();
                if let Some(connection) = state.idle.pop_front() {
                    Next::Take(connection)
                } else if state.open < self.shared.max_open {
                    if !self.shared.count_after_open {
                        state.open += 1;
                    }
                    Next::Open
                } else {
                    Next::Wait
                }
            };
            match next {
                Next::Take(connection) => return self.checkout(connection),
                Next::Open => {
                    // Opening a connection takes a round trip.
                    sleep(Duration::from_millis(5)).await;
                    let mut state = self.shared.state.lock();
                    if self.shared.count_after_open {
                        state.open += 1;
                    }
                    state.most_open = state.most_open.max(state.open);
                    let connection = Connection { id: state.open };
                    drop(state);
                    return self.checkout(connection);
                }
                // A check-in wakes one waiter; one made while this caller was not yet
                // waiting is kept for it, so none is lost.
                Next::Wait => self.shared.returned.notified().await,
            }
        }
    }

    /// The most connections the pool ever had open at once.
    pub fn most_open(&self) -> usize {
        self.shared.state.lock().most_open
    }

    /// The idle connections right now.
    pub fn idle(&self) -> usize {
        self.shared.state.lock().idle.len()
    }

    fn checkout(&self, connection: Connection) -> Checkout {
        Checkout { connection: Some(connection), shared: self.shared.clone() }
    }
}

/// A checked-out connection; dropping it checks the connection back in.
pub struct Checkout {
    connection: Option<Connection>,
    shared: Arc<Shared>,
}

impl std::ops::Deref for Checkout {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.connection.as_ref().expect("a checked-out connection is there until dropped")
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            let mut state = self.shared.state.lock();
            state.idle.push_back(connection);
            // Under the pool's lock: the waiter woken is the one this connection is for.
            self.shared.returned.notify_one();
        }
    }
}

//! Pool connection lost to cancellation: `get` is dropped between taking a connection
//! and wrapping it in its guard.

use std::sync::Arc;

use racewright::sync::blocking::Mutex;
use racewright::time::{Duration, sleep};

use crate::Variant;

/// A connection of the pool.
struct Connection {
    id: u32,
}

impl Connection {
    /// A health check: a round trip to the server, an await point.
    async fn ping(&self) -> bool {
        sleep(Duration::from_millis(1)).await;
        self.id < u32::MAX
    }
}

/// A pool of connections; a [`Pooled`] guard gives its connection back when dropped.
struct Pool {
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    fn new(size: u32) -> Arc<Pool> {
        Arc::new(Pool { idle: Mutex::new((0..size).map(|id| Connection { id }).collect()) })
    }

    fn idle(&self) -> usize {
        self.idle.lock().unwrap().len()
    }

    /// Takes an idle connection, checks it is alive, and hands it out in its guard.
    async fn get(self: &Arc<Self>, variant: Variant) -> Option<Pooled> {
        let connection = self.idle.lock().unwrap().pop()?;
        match variant {
            Variant::Buggy => {
                // Dropped here, the future drops `connection` with it: the pool has lost it.
                connection.ping().await;
                Some(Pooled { connection: Some(connection), pool: self.clone() })
            }
            Variant::Fixed => {
                let pooled = Pooled { connection: Some(connection), pool: self.clone() };
                // Dropped here, the future drops the guard, which gives the connection back.
                pooled.connection().ping().await;
                Some(pooled)
            }
        }
    }
}

/// A connection on loan: back to the pool when dropped.
struct Pooled {
    connection: Option<Connection>,
    pool: Arc<Pool>,
}

impl Pooled {
    fn connection(&self) -> &Connection {
        self.connection.as_ref().expect("a guard holds its connection until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.pool.idle.lock().unwrap().push(connection);
        }
    }
}

/// A pool hands out connections in guards; `get` health-checks a connection before
/// handing it out. Callers bound `get` with a timeout, or race it in a `select!`: it
/// can be dropped at its await.
///
/// Buggy: `get` pops a connection, awaits the health check, and only then wraps the
/// connection in its guard. Dropped at the health check, the future drops the bare
/// connection, and the pool is one connection short for good.
/// `racewright::cancel::at_every_await` drops `get` at each of its await points and
/// checks that every connection is back: at the health check, one is missing.
///
/// Fixed: the connection goes into its guard as soon as it is popped, so the guard gives
/// it back whenever the future is dropped.
pub async fn scenario(variant: Variant) {
    let pool = Pool::new(2);
    let get = || {
        let pool = pool.clone();
        async move { pool.get(variant).await }
    };
    let all_back = |outcome: racewright::cancel::Outcome<Option<Pooled>>| {
        // The guard of a completed `get` goes back too.
        drop(outcome);
        let idle = pool.idle();
        async move { if idle == 2 { Ok(()) } else { Err(format!("the pool has {idle} of its 2 connections")) } }
    };
    racewright::cancel::at_every_await(get, all_back).await.assert_safe();
}

//! Spawn after shutdown: a task that starts waiting after the shutdown signal misses it.

use std::sync::Arc;

use racewright::sync::{Notify, watch};

use crate::Variant;

/// How a server tells its connection handlers to stop.
#[derive(Clone)]
enum Shutdown {
    /// An edge: `notify_waiters` wakes the handlers waiting at that moment, and stores nothing.
    Edge(Arc<Notify>),
    /// A level: the flag stays set, and a handler that looks later still sees it.
    Level(watch::Sender<bool>),
}

impl Shutdown {
    fn new(variant: Variant) -> Shutdown {
        match variant {
            Variant::Buggy => Shutdown::Edge(Arc::new(Notify::new())),
            Variant::Fixed => Shutdown::Level(watch::Sender::new(false)),
        }
    }

    /// Tells every handler to stop.
    fn signal(&self) {
        match self {
            Shutdown::Edge(notify) => notify.notify_waiters(),
            Shutdown::Level(flag) => {
                flag.send_replace(true);
            }
        }
    }

    /// Returns once the server shuts down.
    async fn wait(&self) {
        match self {
            Shutdown::Edge(notify) => notify.notified().await,
            Shutdown::Level(flag) => {
                // `wait_for` looks at the current value first: a late handler returns at once.
                let _ = flag.subscribe().wait_for(|&stopping| stopping).await;
            }
        }
    }
}

/// A server's acceptor spawns a handler per connection; the handlers are detached and
/// end when the server's shutdown signal tells them to.
///
/// Buggy: the signal is `Notify::notify_waiters`, which wakes only the handlers already
/// waiting and leaves nothing behind. The body serves for a while, then shuts the server
/// down, while the acceptor spawns the handler of a connection that has just come in.
/// When the handler is waiting by the time of the shutdown, it is woken and ends; but
/// when the shutdown wins the race (the body signals before the new handler has created
/// its `Notified`), the handler waits for a notification that already happened, and is
/// still alive when the test ends.
///
/// Fixed: the signal is a `watch` channel set to `true`. A handler that subscribes after
/// the shutdown still reads `true`, and ends at once.
pub async fn scenario(variant: Variant) {
    let shutdown = Shutdown::new(variant);
    let acceptor = racewright::task::Builder::new()
        .name("acceptor")
        .spawn({
            let shutdown = shutdown.clone();
            async move {
                // Detached: the handler is told to stop by the shutdown signal, not through its handle.
                drop(racewright::task::Builder::new().name("connection").spawn(async move { shutdown.wait().await }));
            }
        })
        .unwrap();
    // Serving for a while.
    racewright::task::yield_now().await;
    racewright::task::yield_now().await;
    shutdown.signal();
    acceptor.await.unwrap();
}

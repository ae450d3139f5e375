//! Counter left behind by a cancelled call: incremented before an await, decremented
//! after it, never if the call is dropped at the await.

use std::sync::Arc;

use racewright::sync::atomic::{AtomicUsize, Ordering};
use racewright::sync::{mpsc, oneshot};

use crate::Variant;

/// A client that counts its calls in flight (for load shedding and graceful shutdown).
#[derive(Default)]
struct Client {
    in_flight: AtomicUsize,
}

/// Counts a call in flight for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Client {
    /// Sends a request to the server and waits for its reply.
    async fn call(&self, server: &mpsc::UnboundedSender<oneshot::Sender<u32>>, variant: Variant) -> Option<u32> {
        let (reply, answer) = oneshot::channel();
        match variant {
            Variant::Buggy => {
                self.in_flight.fetch_add(1, Ordering::SeqCst);
                server.send(reply).ok()?;
                // Dropped here, the call never gets to the decrement.
                let answer = answer.await.ok();
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                answer
            }
            Variant::Fixed => {
                self.in_flight.fetch_add(1, Ordering::SeqCst);
                let _counted = InFlight(&self.in_flight);
                server.send(reply).ok()?;
                answer.await.ok()
            }
        }
    }
}

/// A caller races a call to a server against the user hanging up, in a `select!`.
///
/// Buggy: `call` increments the client's in-flight counter, sends the request, awaits the
/// reply, then decrements. When the hang-up comes while the reply is on its way (the call
/// was polled first and is pending; then the hang-up arrives, or both are ready and the
/// `select!` polls the hang-up first), the `select!` drops the call at its await: the
/// decrement never runs, and the counter says a call is in flight forever. The final
/// assertion fails.
///
/// Fixed: the decrement lives in a guard's `Drop`, which runs however the call ends.
pub async fn scenario(variant: Variant) {
    let client = Arc::new(Client::default());
    let (requests, mut incoming) = mpsc::unbounded_channel::<oneshot::Sender<u32>>();
    let server = racewright::task::Builder::new()
        .name("server")
        .spawn(async move {
            while let Some(reply) = incoming.recv().await {
                let _ = reply.send(7);
            }
        })
        .unwrap();
    let (hang_up, hung_up) = oneshot::channel::<()>();
    let caller = racewright::task::Builder::new()
        .name("caller")
        .spawn({
            let client = client.clone();
            async move {
                racewright::select! {
                    answer = client.call(&requests, variant) => answer,
                    _ = hung_up => None,
                }
            }
        })
        .unwrap();
    let user = racewright::task::Builder::new()
        .name("user")
        .spawn(async move {
            let _ = hang_up.send(());
        })
        .unwrap();
    caller.await.unwrap();
    user.await.unwrap();
    server.await.unwrap();
    assert_eq!(client.in_flight.load(Ordering::SeqCst), 0, "a cancelled call is still counted in flight");
}

//! Reply before register: a caller registers for its reply after sending the request; a
//! quick reply finds nobody waiting, and the caller waits forever.
//!
//! Its functions are `#[instrument]`ed, as a service's often are: the report shows the
//! leaked caller's async stack (the spans it waits in) and the server's dropped reply
//! logged with its span.

use std::collections::BTreeMap;
use std::sync::Arc;

use racewright::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use racewright::sync::{Mutex, oneshot};
use tracing::instrument;

use crate::Variant;

/// The callers waiting for a reply, by request id.
type Pending = Arc<Mutex<BTreeMap<u32, oneshot::Sender<String>>>>;

/// A client of the service: it sends requests and waits for the reply to each.
#[derive(Clone)]
struct Client {
    requests: UnboundedSender<u32>,
    pending: Pending,
    variant: Variant,
}

impl Client {
    /// Sends request `id` and waits for its reply; `None` if the service went away.
    #[instrument(skip(self))]
    async fn call(&self, id: u32) -> Option<String> {
        let (reply, replied) = oneshot::channel();
        match self.variant {
            Variant::Buggy => {
                self.requests.send(id).ok()?;
                self.pending.lock().await.insert(id, reply);
            }
            Variant::Fixed => {
                self.pending.lock().await.insert(id, reply);
                self.requests.send(id).ok()?;
            }
        }
        replied.await.ok()
    }
}

/// A cache warmer asks a service for a value in the background; the service answers each
/// request by handing the reply to whoever registered for it.
///
/// Buggy: the client sends the request first and registers for its reply after. Taking
/// the lock of the pending replies is a scheduling point: the server can receive the
/// request and answer it before the caller has registered. The reply finds nobody waiting
/// and is dropped (the server logs a warning); the caller then registers and waits for a
/// reply that already came. It holds the client, and so the request channel, so the
/// server waits for requests forever too: both are still alive when the test ends.
///
/// Fixed: the client registers before it sends, so the reply always finds its caller.
pub async fn scenario(variant: Variant) {
    let (requests, inbox) = mpsc::unbounded_channel();
    let pending = Pending::default();
    let client = Client { requests, pending: pending.clone(), variant };
    // Fire and forget: the warmer runs in the background, nobody waits for it.
    drop(racewright::task::Builder::new().name("warmer").spawn(warm_cache(client, "config")).unwrap());
    drop(racewright::task::Builder::new().name("server").spawn(serve(inbox, pending)).unwrap());
}

/// Fetches `key` once, so that the first real request finds it cached.
#[instrument(skip(client))]
async fn warm_cache(client: Client, key: &'static str) {
    let _ = client.call(1).await;
}

/// Answers every request until the request channel closes.
#[instrument(skip_all)]
async fn serve(mut inbox: UnboundedReceiver<u32>, pending: Pending) {
    while let Some(id) = inbox.recv().await {
        let reply = format!("value {id}");
        match pending.lock().await.remove(&id) {
            Some(caller) => {
                let _ = caller.send(reply);
            }
            None => tracing::warn!(id, "nobody waits for this reply; dropped"),
        }
    }
}

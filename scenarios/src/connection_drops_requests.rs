//! A connection task that stops on an error drops the requests still queued for it.

use racewright::sync::{mpsc, oneshot};

use crate::Variant;

/// A request to the connection, with where its answer goes.
struct Request {
    id: u32,
    answer: oneshot::Sender<Result<u32, &'static str>>,
}

/// Serves requests until the connection breaks (at its second request, here).
async fn connection(mut requests: mpsc::Receiver<Request>, variant: Variant) {
    let mut served = 0;
    while let Some(request) = requests.recv().await {
        served += 1;
        if served == 2 {
            let _ = request.answer.send(Err("connection reset"));
            if variant == Variant::Fixed {
                // No request is left behind: the queued ones get the error too.
                requests.close();
                while let Some(queued) = requests.recv().await {
                    let _ = queued.answer.send(Err("connection reset"));
                }
            }
            // Buggy: returning drops the receiver with the requests still in it.
            return;
        }
        let _ = request.answer.send(Ok(request.id * 10));
    }
}

/// Clients send requests to a connection task through a channel; the connection breaks
/// while requests are queued. Reduced from rust-lang/futures-rs#104 ("a `Task` is
/// managing a Tcp connection ... The connection errors. It would be nice for the channel
/// that sends requests to be closed cleanly", so that no pending request is lost) and
/// tokio-rs/tokio#601 ("The `close` API is to be able to manually drain the messages &
/// process them after in order to not lose any").
///
/// Buggy: on the error, the connection task returns, dropping its receiver with the
/// requests queued behind the failing one. Their senders were told `Ok` when they sent;
/// each client sees its answer channel closed, and the requests vanish without an error
/// of their own. racewright reports the messages dropped unreceived, who sent them, and
/// where the receiver went. Where the clients send after the connection is gone, the
/// send fails and the client knows: no loss.
///
/// Fixed: the connection closes its queue and answers every queued request with the error.
pub async fn scenario(variant: Variant) {
    let (requests, queue) = mpsc::channel(4);
    let connection = racewright::task::Builder::new().name("connection").spawn(connection(queue, variant));
    let clients: Vec<_> = (1..=3)
        .map(|id| {
            let requests = requests.clone();
            racewright::task::Builder::new().name(&format!("client {id}")).spawn(async move {
                let (answer, response) = oneshot::channel();
                if requests.send(Request { id, answer }).await.is_err() {
                    return Err("connection gone");
                }
                response.await.unwrap_or(Err("no answer"))
            })
        })
        .collect();
    drop(requests);
    for client in clients {
        let _ = client.await.unwrap();
    }
    connection.await.unwrap();
}

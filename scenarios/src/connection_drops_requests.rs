//! A connection task that stops on an error drops the requests still queued for it.

use racewright::sync::{mpsc, oneshot};

use crate::Variant;

/// A request to the connection, with where its answer goes.
struct Request {
    id: u32,
    answer: oneshot::Sender<Result<u32, &'static str>>,
}

/// Serves requests until the connection breaks (at its first request, here).
async fn connection(mut requests: mpsc::Receiver<Request>, variant: Variant) {
    while let Some(request) = requests.recv().await {
        if request.id == 1 {
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

/// A client pipelines two requests to a connection task through a channel; the connection
/// breaks at the first while the second is queued. Reduced from rust-lang/futures-rs#104
/// ("a `Task` is managing a Tcp connection ... The connection errors. It would be nice for
/// the channel that sends requests to be closed cleanly", so that no pending request is
/// lost) and tokio-rs/tokio#601 ("The `close` API is to be able to manually drain the
/// messages & process them after in order to not lose any").
///
/// Buggy: on the error, the connection task returns, dropping its receiver with the
/// request queued behind the failing one. The client was told `Ok` when it sent it; it
/// finds the answer channel closed, and the request vanished without an error of its own.
/// racewright reports the message dropped unreceived, who sent it, and which task dropped
/// the receiver after what. Where the second send comes after the connection is gone, it
/// fails and the client knows: no loss.
///
/// Fixed: the connection closes its queue and answers every queued request with the error.
pub async fn scenario(variant: Variant) {
    let (requests, queue) = mpsc::channel(4);
    let connection = racewright::task::Builder::new().name("connection").spawn(connection(queue, variant)).unwrap();
    let mut responses = Vec::new();
    for id in 1..=2 {
        let (answer, response) = oneshot::channel();
        if requests.send(Request { id, answer }).await.is_ok() {
            responses.push(response);
        }
    }
    drop(requests);
    for response in responses {
        let answer = response.await.unwrap_or(Err("no answer"));
        assert!(answer.is_err(), "the connection breaks at the first request");
    }
    connection.await.unwrap();
}

//! A hand-written join returns `Pending` after its last future completed: nobody wakes it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use racewright::sync::oneshot;

use crate::Variant;

/// Waits for every future of a list and collects their outputs, written by hand.
struct JoinAll<F: Future> {
    futures: Vec<Option<Pin<Box<F>>>>,
    outputs: Vec<Option<F::Output>>,
    variant: Variant,
}

impl<F: Future> JoinAll<F> {
    fn new(futures: Vec<F>, variant: Variant) -> Self {
        let outputs = futures.iter().map(|_| None).collect();
        JoinAll { futures: futures.into_iter().map(|future| Some(Box::pin(future))).collect(), outputs, variant }
    }
}

// Each future is boxed: the join itself is never pinned.
impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let this = self.get_mut();
        // Buggy: "still polling" is whether a future was left to poll when this poll began.
        let mut still_polling = this.futures.iter().any(Option::is_some);
        for (slot, output) in this.futures.iter_mut().zip(&mut this.outputs) {
            let ready = slot.as_mut().map(|future| future.as_mut().poll(cx));
            if let Some(Poll::Ready(value)) = ready {
                *output = Some(value);
                *slot = None;
            }
        }
        if this.variant == Variant::Fixed {
            // Whether a future is still pending after this poll.
            still_polling = this.futures.iter().any(Option::is_some);
        }
        if still_polling {
            return Poll::Pending;
        }
        Poll::Ready(this.outputs.iter_mut().map(|output| output.take().expect("every future is done")).collect())
    }
}

/// A request fans out to two backends and joins their replies with a hand-written
/// `JoinAll`. Reduced from wasm-bindgen/wasm-bindgen#1881 (a task wrapper whose
/// "still polling" check was wrong: all its futures were done, yet it returned
/// `Pending`, and "nothing wakes it up": an infinite hang) and libp2p/rust-libp2p#1509
/// (`Pending` returned after an inner poll was `Ready`, "nothing in the stack has
/// registered the Waker").
///
/// Buggy: `still_polling` is computed before the futures are polled. The poll that takes
/// the last reply (the first poll, when both replies are already there; a later one, woken
/// by the reply that came last) still returns `Pending`, with no future left to keep its
/// waker: racewright reports the lost wakeup at that poll, on every schedule, where tokio
/// would hang with no error.
///
/// Fixed: `still_polling` is computed after the futures are polled.
pub async fn scenario(variant: Variant) {
    let (first_reply, first) = oneshot::channel();
    let (second_reply, second) = oneshot::channel();
    let backends = [("backend 1", first_reply, 10), ("backend 2", second_reply, 20)].map(|(name, reply, value)| {
        racewright::task::Builder::new()
            .name(name)
            .spawn(async move {
                let _ = reply.send(value);
            })
            .unwrap()
    });
    let request = racewright::task::Builder::new()
        .name("request")
        .spawn(async move {
            let replies = JoinAll::new(vec![first, second], variant).await;
            replies.into_iter().map(|reply| reply.unwrap_or(0)).sum::<u32>()
        })
        .unwrap();
    for backend in backends {
        backend.await.unwrap();
    }
    assert_eq!(request.await.unwrap(), 30);
}

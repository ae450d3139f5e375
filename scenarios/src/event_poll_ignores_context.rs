//! An event stream whose `poll_recv` ignores its `Context`: the event loop stalls.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::Variant;

/// Events emitted by a background part of the program, read by the UI's event loop.
#[derive(Default)]
struct Events {
    state: Mutex<EventsState>,
}

#[derive(Default)]
struct EventsState {
    queue: VecDeque<&'static str>,
    /// The event loop's waker, while it waits for an event.
    reader: Option<Waker>,
}

impl Events {
    fn state(&self) -> std::sync::MutexGuard<'_, EventsState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn emit(&self, event: &'static str) {
        let reader = {
            let mut state = self.state();
            state.queue.push_back(event);
            state.reader.take()
        };
        if let Some(reader) = reader {
            reader.wake();
        }
    }

    /// The next event, if there is one.
    fn poll_recv(&self, cx: &mut Context<'_>, variant: Variant) -> Poll<&'static str> {
        let mut state = self.state();
        if let Some(event) = state.queue.pop_front() {
            return Poll::Ready(event);
        }
        if variant == Variant::Fixed {
            state.reader = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// A UI event loop reads the events a background job emits, through `poll_recv`.
/// Reduced from chatmail/core#1922 ("EventEmitter.recv_poll does not setup waker": `ctx`
/// was ignored, and the event loop got stuck after a few events while the rest of the
/// program kept working).
///
/// Buggy: `poll_recv` returns `Pending` on an empty queue without storing the waker.
/// Where the event loop polls before the job has emitted its events, it returns
/// `Pending` with nothing to wake it: racewright reports the lost wakeup at that poll.
/// Where the events are queued first, it reads them and never waits.
///
/// Fixed: `poll_recv` stores the waker before it returns `Pending`, and `emit` wakes it.
pub async fn scenario(variant: Variant) {
    let events = Arc::new(Events::default());
    let ui = racewright::task::Builder::new()
        .name("event loop")
        .spawn({
            let events = events.clone();
            async move {
                let mut seen = Vec::new();
                while seen.len() < 2 {
                    seen.push(poll_fn(|cx| events.poll_recv(cx, variant)).await);
                }
                seen
            }
        })
        .unwrap();
    let job = racewright::task::Builder::new()
        .name("job")
        .spawn(async move {
            events.emit("message received");
            events.emit("message stored");
        })
        .unwrap();
    job.await.unwrap();
    assert_eq!(ui.await.unwrap(), ["message received", "message stored"]);
}

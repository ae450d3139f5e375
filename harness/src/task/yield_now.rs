//! `yield_now`: give the other tasks a turn.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::engine;
use crate::run::execution;

/// Yields to the scheduler, as `tokio::task::yield_now`: returns `Pending` once and
/// wakes itself. It is also a fairness hint, so that a task spinning on it does not
/// starve the others.
#[track_caller]
pub fn yield_now() -> impl Future<Output = ()> {
    YieldNow { at: Location::caller(), yielded: false }
}

struct YieldNow {
    at: &'static Location<'static>,
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        execution::record("yield_now", self.at);
        cx.waker().wake_by_ref();
        engine::request_yield();
        Poll::Pending
    }
}

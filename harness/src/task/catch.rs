//! Catches the panics of a task's future, as tokio does, so they reach its `JoinHandle`.

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::detect::panics;
use crate::explore::execution;

/// A panic caught while polling a future.
pub(crate) struct Panicked {
    pub(crate) message: String,
    /// `file:line:column`, relative to the workspace, when the panic hook saw it.
    pub(crate) location: Option<String>,
    pub(crate) payload: Box<dyn Any + Send>,
}

/// Polls `F`, turning a panic into `Err(Panicked)`.
pub(crate) struct CatchPanic<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> CatchPanic<F> {
    pub(crate) fn new(inner: F) -> Self {
        CatchPanic { inner: Box::pin(inner) }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        match panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => match panics::take_caught() {
                Some(caught) => {
                    Poll::Ready(Err(Panicked { message: caught.message, location: caught.location, payload }))
                }
                // Inside an execution every panic goes through the hook; an unwinding it did not
                // see is the engine tearing the task down, which must go on.
                None if execution::is_active() => panic::resume_unwind(payload),
                None => Poll::Ready(Err(Panicked {
                    message: panics::message_of(payload.as_ref()),
                    location: None,
                    payload,
                })),
            },
        }
    }
}

//! Lost wakeup in a hand-written future: `Pending` with nobody to wake it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::Variant;

/// A one-shot "ready" flag, written by hand on a std mutex.
#[derive(Default)]
struct Ready {
    state: Mutex<ReadyState>,
}

#[derive(Default)]
struct ReadyState {
    set: bool,
    /// The task waiting for the flag, to wake when it is set.
    waiter: Option<Waker>,
}

impl Ready {
    fn state(&self) -> std::sync::MutexGuard<'_, ReadyState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets the flag and wakes the task waiting for it, if it left its waker.
    fn set(&self) {
        let waiter = {
            let mut state = self.state();
            state.set = true;
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// A future that completes once the flag is set.
    fn wait(self: Arc<Self>, variant: Variant) -> WaitReady {
        WaitReady { ready: self, variant }
    }
}

/// Completes once its [`Ready`] flag is set.
struct WaitReady {
    ready: Arc<Ready>,
    variant: Variant,
}

impl Future for WaitReady {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.ready.state();
        if state.set {
            return Poll::Ready(());
        }
        if self.variant == Variant::Fixed {
            // Checked and registered under one lock: `set` cannot slip in between.
            state.waiter = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// A consumer waits for a producer's "ready" flag through a hand-written future.
///
/// Buggy: the future checks the flag and returns `Pending` without storing the waker,
/// assuming something will poll it again. Where the consumer polls first (the producer
/// is still preparing), it returns `Pending`; the producer then sets the flag, but nobody
/// knows the consumer is waiting, so nothing wakes it. Every task ends up blocked: the
/// body on the consumer's handle, the consumer in a future that is not a racewright
/// primitive and kept no waker, which racewright names a lost wakeup. Where the producer
/// sets the flag first, the first poll is `Ready` and the bug stays hidden.
///
/// Fixed: the future stores `cx.waker().clone()` in the shared state, under the same
/// lock as its check of the flag, and `set` wakes it.
pub async fn scenario(variant: Variant) {
    let ready = Arc::new(Ready::default());
    let consumer = racewright::task::Builder::new()
        .name("consumer")
        .spawn({
            let ready = ready.clone();
            async move {
                tracing::info!("waiting until ready");
                ready.wait(variant).await;
            }
        })
        .unwrap();
    let producer = racewright::task::Builder::new()
        .name("producer")
        .spawn(async move {
            // Preparing what the consumer waits for.
            racewright::task::yield_now().await;
            ready.set();
            tracing::info!("ready");
        })
        .unwrap();
    producer.await.unwrap();
    consumer.await.unwrap();
}

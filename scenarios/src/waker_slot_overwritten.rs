//! One waker slot for many waiters: the second waiter's waker replaces the first's.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use crate::Variant;

/// A "config loaded" gate written by hand: a flag and the wakers of the tasks waiting
/// for it.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    open: bool,
    /// Buggy: one slot, for whoever registered last.
    slot: Option<Waker>,
    /// Fixed: one waker per waiting task.
    waiters: Vec<Waker>,
}

impl Gate {
    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens the gate and wakes whoever waits.
    fn open(&self) {
        let wakers: Vec<Waker> = {
            let mut state = self.state();
            state.open = true;
            state.slot.take().into_iter().chain(state.waiters.drain(..)).collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Waits until the gate is open.
    async fn wait(&self, variant: Variant) {
        poll_fn(|cx| {
            let mut state = self.state();
            if state.open {
                return Poll::Ready(());
            }
            match variant {
                // Replaces, and drops, the waker of a task already waiting.
                Variant::Buggy => state.slot = Some(cx.waker().clone()),
                Variant::Fixed => {
                    if !state.waiters.iter().any(|waiter| waiter.will_wake(cx.waker())) {
                        state.waiters.push(cx.waker().clone());
                    }
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// Two request handlers wait at a gate until the configuration is loaded; a loader opens
/// it. Reduced from embassy-rs/embassy#4134 ("atomic waker does not call wake on the
/// existing waker when registering a new one": a single-waiter registration shared by two
/// tasks, where the first "has no chance to re-register itself").
///
/// Buggy: the gate keeps a single `Option<Waker>`. When both handlers wait before the
/// loader opens the gate, the second one's registration overwrites the first one's waker
/// and drops it: nothing can wake the first handler any more. racewright reports the lost
/// wakeup at the moment the waker is dropped, naming the task that dropped it. Where the
/// loader opens the gate before the second handler registers, both go through.
///
/// Fixed: the gate keeps one waker per waiting task, and wakes them all.
pub async fn scenario(variant: Variant) {
    let gate = Arc::new(Gate::default());
    let handlers: Vec<_> = (1..=2)
        .map(|n| {
            let gate = gate.clone();
            racewright::task::Builder::new()
                .name(&format!("handler {n}"))
                .spawn(async move {
                    tracing::info!("waiting for the configuration");
                    gate.wait(variant).await;
                })
                .unwrap()
        })
        .collect();
    let loader = racewright::task::Builder::new()
        .name("loader")
        .spawn({
            let gate = gate.clone();
            async move {
                racewright::task::yield_now().await;
                gate.open();
            }
        })
        .unwrap();
    loader.await.unwrap();
    for handler in handlers {
        handler.await.unwrap();
    }
}

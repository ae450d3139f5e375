//! A `Condvar::wait` inside async code: fine while another worker thread is free, a hang
//! on a current-thread runtime.

use std::sync::Arc;

use racewright::sync::Notify;
use racewright::sync::blocking::{Condvar, Mutex};

use crate::Variant;

/// The result of a background computation, handed over to whoever waits for it.
#[derive(Default)]
struct Slot {
    value: Mutex<Option<u32>>,
    /// Buggy: a blocking condition variable.
    filled: Condvar,
    /// Fixed: an async notification.
    notify: Notify,
}

impl Slot {
    fn fill(&self, value: u32) {
        *self.value.lock().unwrap() = Some(value);
        self.filled.notify_all();
        self.notify.notify_waiters();
    }

    async fn take(&self, variant: Variant) -> u32 {
        match variant {
            Variant::Buggy => {
                // Blocks the thread that polls this task until the value is there.
                let filled = *self.filled.wait_while(self.value.lock().unwrap(), |value| value.is_none()).unwrap();
                filled.expect("filled")
            }
            Variant::Fixed => loop {
                // Registered before the check, so a fill in between is not missed.
                let notified = self.notify.notified();
                if let Some(value) = *self.value.lock().unwrap() {
                    return value;
                }
                notified.await;
            },
        }
    }
}

/// A task waits for a value that another task computes. Reduced from
/// scylladb/cpp-rs-driver#147 (a future's wait "on cond variable ... is a blocking
/// operation, and thus, this will not work in current-thread runtime"; found when the
/// tests were switched to `current_thread`) and tokio-rs/tokio#4557 ("You cannot use
/// `std::sync::Condvar` inside Tokio").
///
/// Buggy: the waiter blocks in `Condvar::wait_while`. On a multi-threaded runtime that
/// works while another worker thread runs the producer (racewright's default flavor finds
/// nothing wrong). With `flavor = "current_thread"` the wait blocks the only thread: the
/// producer can never run to fill the slot, and racewright reports which blocking call
/// stalled the runtime.
///
/// Fixed: the waiter awaits a `Notify`, registered before it checks the slot.
pub async fn scenario(variant: Variant) {
    let slot = Arc::new(Slot::default());
    let waiter = racewright::task::Builder::new()
        .name("waiter")
        .spawn({
            let slot = slot.clone();
            async move { slot.take(variant).await }
        })
        .unwrap();
    let producer = racewright::task::Builder::new()
        .name("producer")
        .spawn({
            let slot = slot.clone();
            async move {
                racewright::task::yield_now().await;
                slot.fill(42);
            }
        })
        .unwrap();
    producer.await.unwrap();
    assert_eq!(waiter.await.unwrap(), 42);
}

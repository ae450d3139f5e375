//! `notify_waiters` where `notify_one` was meant: a hand-off that nobody receives.

use std::collections::VecDeque;
use std::sync::Arc;

use racewright::sync::{Mutex, Notify};

use crate::Variant;

/// A producer pushes a job on a queue and signals a consumer, which pops jobs and
/// sleeps on a `Notify` while the queue is empty.
///
/// Buggy: the producer signals with `notify_waiters`, which wakes only the tasks already
/// waiting and remembers nothing. If the consumer finds the queue empty and, before it
/// starts waiting, the producer pushes and signals, the signal is lost and the consumer
/// waits forever for a job that is already queued.
///
/// Fixed: `notify_one` stores a permit when nobody waits, so the consumer's next
/// `notified().await` completes at once.
pub async fn scenario(variant: Variant) {
    let queue = Arc::new(Mutex::new(VecDeque::new()));
    let notify = Arc::new(Notify::new());
    let consumer = racewright::task::Builder::new()
        .name("consumer")
        .spawn({
            let (queue, notify) = (queue.clone(), notify.clone());
            async move {
                loop {
                    if let Some(job) = queue.lock().await.pop_front() {
                        return job;
                    }
                    notify.notified().await;
                }
            }
        })
        .unwrap();
    queue.lock().await.push_back(42);
    match variant {
        Variant::Buggy => notify.notify_waiters(),
        Variant::Fixed => notify.notify_one(),
    }
    assert_eq!(consumer.await.unwrap(), 42);
}

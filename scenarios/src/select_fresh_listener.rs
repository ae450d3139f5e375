//! Fresh shutdown listener per `select!`: the signal sent between two iterations is lost.

use std::pin::pin;
use std::sync::Arc;

use racewright::sync::{Notify, mpsc};

use crate::Variant;

/// A worker handles jobs in a `select!` loop until the shutdown signal, a
/// `Notify::notify_waiters`: it wakes the listeners that exist at that moment, and
/// stores nothing. The body sends a job, waits until the worker has handled it, then
/// signals the shutdown and waits for the worker to end.
///
/// Buggy: the worker creates a fresh `shutdown.notified()` listener in every iteration.
/// Between one `select!` (which dropped its listener when the job won) and the next
/// (which creates a new one), nobody listens: when the shutdown is signalled in that
/// window, right after the worker acknowledged the job, it is lost. The worker waits in
/// its next `select!` forever, and the body with it: a deadlock.
///
/// Fixed: one listener, created before the loop and polled by reference in each
/// `select!`, sees every signal sent after its creation, whether it was being polled at
/// that moment or not.
pub async fn scenario(variant: Variant) {
    let shutdown = Arc::new(Notify::new());
    let (jobs, mut queue) = mpsc::unbounded_channel::<u32>();
    let (done, mut acknowledged) = mpsc::unbounded_channel::<u32>();
    let worker = racewright::task::Builder::new()
        .name("worker")
        .spawn({
            let shutdown = shutdown.clone();
            async move {
                match variant {
                    Variant::Buggy => loop {
                        racewright::select! {
                            Some(job) = queue.recv() => done.send(job).unwrap(),
                            () = shutdown.notified() => break,
                        }
                    },
                    Variant::Fixed => {
                        let mut listener = pin!(shutdown.notified());
                        loop {
                            racewright::select! {
                                Some(job) = queue.recv() => done.send(job).unwrap(),
                                () = &mut listener => break,
                            }
                        }
                    }
                }
            }
        })
        .unwrap();
    jobs.send(1).unwrap();
    assert_eq!(acknowledged.recv().await, Some(1));
    shutdown.notify_waiters();
    worker.await.unwrap();
    // The queue stays open until the worker is done: only the shutdown signal stops it.
    drop(jobs);
}

//! Detached worker leak: a worker waits on a channel that never closes.

use racewright::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::Variant;

/// A job of the queue: the first attempt of a flaky job fails.
#[derive(Clone, Copy)]
struct Job {
    id: u32,
    flaky: bool,
    attempt: u32,
}

impl Job {
    /// Runs one attempt; `false` if it failed and must be tried again.
    fn run(&self) -> bool {
        !(self.flaky && self.attempt == 0)
    }
}

/// A background worker runs the jobs of a queue and reports each one done.
///
/// Buggy: the worker re-queues a failed job on its own queue, so it keeps a clone of the
/// queue's sender for as long as it runs. The body sends its jobs, waits for their
/// results and returns, dropping its sender and the worker's handle (the worker is
/// detached). But the worker's own sender keeps the queue open: `recv` never returns
/// `None`, and the worker is still parked in it when the test ends. This happens on
/// every schedule: nothing but the channel's closing could end the worker.
///
/// Fixed: the worker retries a failed job in place and holds no sender of its queue; the
/// body closes the queue by dropping the only sender once the jobs are sent, and awaits
/// the worker's handle, so the worker's end is part of the test.
pub async fn scenario(variant: Variant) {
    let (jobs, queue) = mpsc::unbounded_channel();
    let (done, mut results) = mpsc::unbounded_channel();
    let requeue = match variant {
        Variant::Buggy => Some(jobs.clone()),
        Variant::Fixed => None,
    };
    let worker = racewright::task::Builder::new().name("worker").spawn(work(queue, requeue, done)).unwrap();
    for id in 0..3 {
        jobs.send(Job { id, flaky: id == 1, attempt: 0 }).expect("the worker runs until the queue closes");
    }
    match variant {
        Variant::Buggy => drop(worker),
        Variant::Fixed => {
            drop(jobs);
            worker.await.unwrap();
        }
    }
    let mut finished = Vec::new();
    for _ in 0..3 {
        finished.push(results.recv().await.expect("the worker reports every job"));
    }
    finished.sort_unstable();
    assert_eq!(finished, [0, 1, 2]);
}

/// Runs the jobs of `queue` until it closes. A failed job goes back on the queue through
/// `requeue` when there is one, and is retried at once otherwise.
async fn work(mut queue: UnboundedReceiver<Job>, requeue: Option<UnboundedSender<Job>>, done: UnboundedSender<u32>) {
    while let Some(mut job) = queue.recv().await {
        if !job.run() {
            job.attempt += 1;
            if let Some(requeue) = &requeue {
                // Tried again after the jobs queued before it.
                requeue.send(job).expect("the worker holds the queue's receiver");
                continue;
            }
            while !job.run() {
                job.attempt += 1;
            }
        }
        let _ = done.send(job.id);
    }
}

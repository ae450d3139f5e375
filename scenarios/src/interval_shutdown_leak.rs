//! Interval task that outlives its service: shutdown is checked only between ticks.

use std::sync::Arc;

use futures::FutureExt;
use racewright::sync::Notify;
use racewright::time::{Duration, interval, sleep};

use crate::Variant;

/// A service with a background task that flushes its buffer every second.
struct Flusher {
    shutdown: Arc<Notify>,
}

impl Flusher {
    fn start(variant: Variant) -> Flusher {
        let shutdown = Arc::new(Notify::new());
        let signal = shutdown.clone();
        // Detached: the shutdown signal ends it.
        drop(racewright::task::Builder::new().name("flusher").spawn(async move {
            let mut ticks = interval(Duration::from_secs(1));
            let mut flushes = 0u32;
            match variant {
                Variant::Buggy => loop {
                    ticks.tick().await;
                    // Between ticks: was shutdown signalled? Only a signal sent right now counts.
                    if signal.notified().now_or_never().is_some() {
                        break;
                    }
                    flushes += 1;
                },
                Variant::Fixed => {
                    // Listen for the signal for the whole life of the task, ticks included.
                    let stopped = signal.notified();
                    flush_until(stopped, &mut ticks, &mut flushes).await;
                }
            }
            flushes
        }));
        Flusher { shutdown }
    }

    /// Stops the service; its flusher must stop with it.
    fn stop(self) {
        self.shutdown.notify_waiters();
    }
}

/// Flushes on every tick until `stopped` completes.
async fn flush_until(
    stopped: racewright::sync::futures::Notified<'_>,
    ticks: &mut racewright::time::Interval,
    flushes: &mut u32,
) {
    let mut stopped = std::pin::pin!(stopped);
    loop {
        racewright::select! {
            _ = ticks.tick() => *flushes += 1,
            _ = &mut stopped => break,
        }
    }
}

/// A service runs a flusher task on a one-second interval, and signals it to stop with
/// `Notify::notify_waiters` when it stops.
///
/// Buggy: the flusher checks for the signal only between ticks, with a `Notified` made
/// on the spot. The service stops at 2.5s, while the flusher sleeps until its tick at
/// 3s: `notify_waiters` wakes only those already waiting and keeps nothing, so the
/// flusher never sees it and ticks forever after the service is gone. racewright lets
/// timers fire for a while after the body returns, then reports the flusher as leaked,
/// stuck in `Interval::tick`.
///
/// Fixed: the flusher listens for the signal for its whole life, in a `select!` with its
/// ticks, and ends as soon as the service stops.
pub async fn scenario(variant: Variant) {
    let flusher = Flusher::start(variant);
    sleep(Duration::from_millis(2500)).await;
    flusher.stop();
}

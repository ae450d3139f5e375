//! SCTBench's `bluetooth_driver_bad.c` (from the ESBMC concurrency benchmarks, after
//! the KISS paper's Bluetooth driver): a device stopped while a request is being added.

use std::sync::Arc;

use super::{Atomic, Platform};
use crate::Variant;

/// The driver's device extension.
struct Device<P: Platform> {
    /// Requests in flight, plus one for the device itself until it stops.
    pending_io: P::Atomic,
    /// Set by `stop`: no new request may start.
    stopping_flag: P::Atomic,
    /// Set when the last request is done.
    stopping_event: P::Atomic,
    /// The device's resources were released.
    stopped: P::Atomic,
}

/// The body adds a request (`BCSP_PnpAdd`) while a task stops the device
/// (`BCSP_PnpStop`); a request must never run on a stopped device.
///
/// Buggy: `io_increment` checks the stopping flag, then counts the request: the stop can
/// set the flag, drop the count to zero and release the device in between, and the
/// request then runs on the stopped device. (The request is also un-counted when it was
/// refused, as in the original.)
///
/// Fixed: the request is counted first and then checks the flag, backing out if it is
/// set, so the count cannot reach zero while an accepted request runs.
pub async fn program<P: Platform>(variant: Variant) {
    let device = Arc::new(Device::<P> {
        pending_io: P::Atomic::new(1),
        stopping_flag: P::Atomic::new(0),
        stopping_event: P::Atomic::new(0),
        stopped: P::Atomic::new(0),
    });
    let stop = P::spawn({
        let device = device.clone();
        async move { device.stop() }
    });
    device.add(variant);
    stop.await;
}

impl<P: Platform> Device<P> {
    /// `BCSP_IoIncrement`: whether the request may start.
    fn io_increment(&self, variant: Variant) -> bool {
        match variant {
            Variant::Buggy => {
                if self.stopping_flag.load() == 1 {
                    return false;
                }
                self.pending_io.fetch_add(1);
                true
            }
            Variant::Fixed => {
                self.pending_io.fetch_add(1);
                if self.stopping_flag.load() == 1 {
                    self.io_decrement();
                    return false;
                }
                true
            }
        }
    }

    /// `BCSP_IoDecrement`.
    fn io_decrement(&self) {
        if self.pending_io.fetch_add(-1) - 1 == 0 {
            self.stopping_event.store(1);
        }
    }

    /// `BCSP_PnpAdd`.
    fn add(&self, variant: Variant) {
        let started = self.io_increment(variant);
        if started {
            // The request's work.
            assert_eq!(self.stopped.load(), 0, "a request ran on a stopped device");
        }
        if started || variant == Variant::Buggy {
            self.io_decrement();
        }
    }

    /// `BCSP_PnpStop`.
    fn stop(&self) {
        self.stopping_flag.store(1);
        self.io_decrement();
        if self.stopping_event.load() == 1 {
            self.stopped.store(1);
        }
    }
}

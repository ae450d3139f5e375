//! The heartbeat of an exploration: every scheduling point beats it, and the watchdog
//! (`explore/watchdog.rs`) that sees no beat for too long knows the execution is stuck
//! outside racewright's control.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// The heartbeat of the exploration running on this thread.
    static HEARTBEAT: RefCell<Option<Arc<AtomicU64>>> = const { RefCell::new(None) };
}

/// The heartbeat of this thread's exploration, for the threads that help it.
pub(crate) fn current() -> Option<Arc<AtomicU64>> {
    HEARTBEAT.with(|heartbeat| heartbeat.borrow().clone())
}

/// Makes this thread beat `heartbeat` (a lane of an exploration armed on another thread).
pub(crate) fn adopt(heartbeat: Option<Arc<AtomicU64>>) {
    HEARTBEAT.with(|current| *current.borrow_mut() = heartbeat);
}

/// Tells the watchdog of this thread's exploration that it still makes progress.
#[inline]
pub(crate) fn beat() {
    HEARTBEAT.with(|heartbeat| {
        if let Some(heartbeat) = &*heartbeat.borrow() {
            heartbeat.fetch_add(1, Ordering::Relaxed);
        }
    });
}

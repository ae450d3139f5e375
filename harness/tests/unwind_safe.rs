//! The primitives tokio makes unwind-safe are unwind-safe (tokio's own tests assert it of
//! its channels' permits): a test may hold one across `catch_unwind`. A channel whatever
//! its messages, as tokio's. (tokio's async `Mutex`, `RwLock` and cells hold their value
//! in an `UnsafeCell` and are not, nor are racewright's.)

use std::panic::{RefUnwindSafe, UnwindSafe};

use racewright::sync::{Barrier, Notify, Semaphore, broadcast, mpsc, oneshot, watch};

fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

/// Neither `UnwindSafe` nor `RefUnwindSafe`: a channel's messages must not matter.
struct Interior(#[allow(dead_code)] std::cell::UnsafeCell<u8>);

#[test]
fn the_primitives_are_unwind_safe() {
    unwind_safe::<Semaphore>();
    unwind_safe::<Notify>();
    unwind_safe::<Barrier>();
    unwind_safe::<mpsc::Sender<Interior>>();
    unwind_safe::<mpsc::Receiver<Interior>>();
    unwind_safe::<mpsc::UnboundedSender<Interior>>();
    unwind_safe::<mpsc::UnboundedReceiver<Interior>>();
    unwind_safe::<mpsc::Permit<'static, Interior>>();
    unwind_safe::<mpsc::OwnedPermit<Interior>>();
    unwind_safe::<oneshot::Sender<Interior>>();
    unwind_safe::<oneshot::Receiver<Interior>>();
    unwind_safe::<watch::Sender<Interior>>();
    unwind_safe::<watch::Receiver<Interior>>();
    unwind_safe::<broadcast::Sender<Interior>>();
    unwind_safe::<broadcast::Receiver<Interior>>();
    // As std's, which racewright's blocking locks stand in for.
    unwind_safe::<racewright::sync::blocking::Mutex<u8>>();
    unwind_safe::<racewright::sync::blocking::RwLock<u8>>();
}

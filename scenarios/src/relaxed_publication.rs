//! Relaxed publication: data behind a flag, the flag stored and loaded `Relaxed`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use racewright::sync::atomic::{AtomicBool, AtomicUsize};

use crate::Variant;

/// A writer fills a slot and then raises a flag; the body, if it sees the flag up, reads
/// the slot.
///
/// Buggy: the flag is stored and loaded with `Relaxed`, so nothing orders the slot's
/// store before the flag's for another task: on weak memory (ARM, POWER, or the compiler
/// reordering the stores) the body can see the flag up and the slot still empty. No
/// interleaving of the two tasks shows it, since every one runs the writer's two stores
/// in order: shuttle, which runs every ordering as `SeqCst`, cannot find it. Loom, where
/// a load may read any store the orderings allow, finds the body reading the flag's new
/// value and the slot's old one.
///
/// Fixed: the flag is stored with `Release` and loaded with `Acquire`: a load that sees
/// the flag up also sees every store the writer made before raising it.
pub async fn scenario(variant: Variant) {
    let (raise, check) = match variant {
        Variant::Buggy => (Ordering::Relaxed, Ordering::Relaxed),
        Variant::Fixed => (Ordering::Release, Ordering::Acquire),
    };
    let slot = Arc::new(AtomicUsize::new(0));
    let ready = Arc::new(AtomicBool::new(false));
    let writer = racewright::task::Builder::new()
        .name("writer")
        .spawn({
            let (slot, ready) = (slot.clone(), ready.clone());
            async move {
                slot.store(42, Ordering::Relaxed);
                ready.store(true, raise);
            }
        })
        .unwrap();
    if ready.load(check) {
        assert_eq!(slot.load(Ordering::Relaxed), 42, "the flag was up, but the data behind it was not there");
    }
    writer.await.unwrap();
}

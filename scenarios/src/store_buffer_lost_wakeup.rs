//! Store buffering: a waiter and a notifier each store, then load the other's flag, and
//! both read the old value (as in event-listener#138).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use racewright::sync::Notify;
use racewright::sync::atomic::{AtomicBool, fence};

use crate::Variant;

/// A waiter announces that it waits, then checks whether the work is done; the body
/// marks the work done, then wakes the waiter if it announced itself. The protocol is
/// right if at least one of them sees the other's store: either the waiter sees `done`
/// and does not wait, or the body sees `waiting` and notifies (a permit, kept if the
/// waiter has not started waiting yet).
///
/// Buggy: the stores are `Release` and the loads `Acquire`, which orders each task's own
/// accesses for others' acquires but not a store before a later load of another
/// location: each store can sit in its core's store buffer while the load after it
/// reads the other flag's old value. Both read `false`: the body notifies nobody, the
/// waiter waits forever, and the body waits for the waiter: a deadlock. Every
/// interleaving of the two tasks lets one of them see the other, so shuttle cannot find
/// it; loom, which models the store buffer, does.
///
/// Fixed: a `SeqCst` fence between each store and the load after it (event-listener's
/// `full_fence`): the two fences are ordered, and the task whose fence comes second sees
/// the other's store.
pub async fn scenario(variant: Variant) {
    let fenced = variant == Variant::Fixed;
    let waiting = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let wakeup = Arc::new(Notify::new());
    let waiter = racewright::task::Builder::new()
        .name("waiter")
        .spawn({
            let (waiting, done, wakeup) = (waiting.clone(), done.clone(), wakeup.clone());
            async move {
                waiting.store(true, Ordering::Release);
                if fenced {
                    fence(Ordering::SeqCst);
                }
                if !done.load(Ordering::Acquire) {
                    wakeup.notified().await;
                }
            }
        })
        .unwrap();
    done.store(true, Ordering::Release);
    if fenced {
        fence(Ordering::SeqCst);
    }
    if waiting.load(Ordering::Acquire) {
        wakeup.notify_one();
    }
    waiter.await.unwrap();
}

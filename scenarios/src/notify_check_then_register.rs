//! Lost wakeup: checking a condition, then registering for its notification.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use racewright::sync::Notify;
use racewright::sync::atomic::AtomicBool;

use crate::Variant;

/// A waiter checks a `ready` flag and, if it is not set yet, waits on a `Notify` that the
/// setter signals with `notify_waiters`.
///
/// Buggy: the waiter checks the flag *before* creating its `Notified` future. If the
/// setter sets the flag and calls `notify_waiters` in between (waiter reads `false`,
/// setter stores `true`, setter notifies nobody, waiter starts waiting), the
/// notification is lost: `notify_waiters` stores no permit, and the waiter waits forever.
///
/// Fixed: the waiter creates `notified()` first, then checks the flag, then awaits:
/// a `Notified` created before `notify_waiters` is woken by it even if not yet polled.
pub async fn scenario(variant: Variant) {
    let ready = Arc::new(AtomicBool::new(false));
    let notify = Arc::new(Notify::new());
    let setter = racewright::task::Builder::new()
        .name("setter")
        .spawn({
            let (ready, notify) = (ready.clone(), notify.clone());
            async move {
                ready.store(true, Ordering::Release);
                notify.notify_waiters();
            }
        })
        .unwrap();
    match variant {
        Variant::Buggy => {
            if !ready.load(Ordering::Acquire) {
                notify.notified().await;
            }
        }
        Variant::Fixed => {
            let notified = notify.notified();
            if !ready.load(Ordering::Acquire) {
                notified.await;
            }
        }
    }
    setter.await.unwrap();
}

//! Timeout race: the answer is on its way when the timeout fires.

use racewright::sync::oneshot;
use racewright::time::{Duration, sleep, timeout};

use crate::Variant;

/// What the caller settles for when the responder is too slow.
const FALLBACK: u32 = 0;

/// A caller asks a responder for a value and waits for it at most 100ms; the responder
/// needs 50ms, then sends.
///
/// Buggy: the caller unwraps the timeout's result: 50ms is well under 100ms. With the
/// default `time = "idle"` that holds on every schedule, because the clock moves only
/// when both tasks are blocked: the responder's timer (50ms) fires first and it answers.
/// But a task can be slow to run once its timer has fired (a busy executor, a long
/// synchronous step): with `time = "any"` the strategy may let time pass while the
/// responder is runnable. Its timer fires at 50ms, the caller's at 100ms before the
/// responder got to send, and `unwrap` panics on `Elapsed`.
///
/// Fixed: the caller handles `Elapsed` by falling back, and the responder does not mind
/// that nobody waits for its answer any more.
pub async fn scenario(variant: Variant) {
    let (reply, answer) = oneshot::channel();
    let responder = racewright::task::Builder::new()
        .name("responder")
        .spawn(async move {
            sleep(Duration::from_millis(50)).await;
            // The caller may have given up: then nobody receives.
            let _ = reply.send(42);
        })
        .unwrap();
    let bounded = timeout(Duration::from_millis(100), answer);
    let value = match variant {
        Variant::Buggy => bounded.await.unwrap().unwrap(),
        Variant::Fixed => bounded.await.ok().and_then(Result::ok).unwrap_or(FALLBACK),
    };
    responder.await.unwrap();
    assert!(value == 42 || value == FALLBACK, "got {value}");
}

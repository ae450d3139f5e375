//! A task per request, spawned without limit: the live tasks grow with the load.

use racewright::task::JoinSet;
use racewright::time::{Duration, sleep};

use crate::Variant;

/// Requests in the burst.
const REQUESTS: u32 = 4;
/// Requests handled at once by the fixed variant.
const IN_FLIGHT: usize = 2;

/// Handles one request: a slow backend call.
async fn handle(request: u32) -> u32 {
    sleep(Duration::from_millis(50)).await;
    request * 2
}

/// A crawler fetches the URLs of a sitemap, a task each, collected in a `JoinSet`.
/// Reduced from spider-rs/spider#397 ("spawned one unbounded tokio task per URL
/// immediately, ignoring the configured limit. All tasks would be alive simultaneously";
/// fixed by gating each spawn) and mofa-org/mofa#1505 ("spawns unbounded tokio::spawn
/// tasks").
///
/// Buggy: a task is spawned for every request at once. With a burst of four and the
/// test's `max_queue = 3`, four handlers are alive together: racewright reports the
/// growth and where the tasks were spawned. In production the burst is the load, and the
/// tasks, their memory and the backend's connections grow with it.
///
/// Fixed: at most two requests are in flight: before spawning another, the loop waits
/// for one to finish (`join_next`), so the set and the live tasks stay bounded.
pub async fn scenario(variant: Variant) {
    let mut handlers = JoinSet::new();
    let mut total = 0;
    for request in 1..=REQUESTS {
        if variant == Variant::Fixed && handlers.len() >= IN_FLIGHT {
            total += handlers.join_next().await.expect("a handler in flight").unwrap();
        }
        handlers.spawn(handle(request));
    }
    while let Some(handled) = handlers.join_next().await {
        total += handled.unwrap();
    }
    assert_eq!(total, 20);
}

//! Retry with exponential backoff, in virtual time: seconds of backoff in microseconds.

use std::sync::Arc;

use racewright::sync::atomic::{AtomicBool, Ordering};
use racewright::time::{Duration, Instant, sleep};

use crate::Variant;

/// How long the server takes to start.
const STARTUP: Duration = Duration::from_secs(5);

/// Connects, retrying with exponential backoff (100ms, doubling, at most 2s between
/// attempts); returns the number of attempts.
async fn connect(up: &AtomicBool, variant: Variant) -> Result<u32, String> {
    let started = Instant::now();
    let mut backoff = Duration::from_millis(100);
    for attempt in 1.. {
        if up.load(Ordering::SeqCst) {
            return Ok(attempt);
        }
        let give_up = match variant {
            Variant::Buggy => attempt == 5,
            Variant::Fixed => started.elapsed() + backoff > Duration::from_secs(30),
        };
        if give_up {
            return Err(format!("gave up after {attempt} attempts, {:?}", started.elapsed()));
        }
        sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
    unreachable!("attempts are counted with a u32")
}

/// A client connects to a server that takes 5s to start, retrying with exponential
/// backoff. In virtual time the seconds of backoff take microseconds, so the retry
/// policy is tested as it runs in production, with its real durations.
///
/// Buggy: the client gives up after 5 attempts, which wait 100 + 200 + 400 + 800ms = 1.5s
/// in all: less than the server's start-up. It returns `Err` and the test's `expect`
/// panics, on every schedule.
///
/// Fixed: the client retries until a 30s deadline, and connects on its 7th attempt,
/// at 5.1s.
pub async fn scenario(variant: Variant) {
    let up = Arc::new(AtomicBool::new(false));
    let server = racewright::task::Builder::new()
        .name("server")
        .spawn({
            let up = up.clone();
            async move {
                sleep(STARTUP).await;
                up.store(true, Ordering::SeqCst);
            }
        })
        .unwrap();
    let attempts = connect(&up, variant).await.expect("the client connects once the server is up");
    assert!(attempts > 1, "the server cannot be up at once");
    server.await.unwrap();
}

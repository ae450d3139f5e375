//! An unbounded channel between a fast producer and a slow consumer grows without limit.

use racewright::sync::mpsc;
use racewright::time::{Duration, sleep};

use crate::Variant;

/// Events produced in a burst.
const EVENTS: u32 = 6;

/// A bridge forwards incoming events to a slow downstream (rate-limited webhook). Reduced
/// from librefang/librefang#3580 ("a slow downstream consumer ... lets the queue grow
/// without backpressure. RSS climbs until OOM") and linera-io/linera-protocol#2176
/// ("unbounded channels ... may lead to explosive memory usage if the receiver is slower
/// than the senders"); libp2p/rust-libp2p#2823 bans them by lint for that reason.
///
/// Buggy: the bridge queues events on an `unbounded_channel`. The producer never waits,
/// and the downstream takes 10ms per event: the whole burst piles up in the queue, past
/// the test's `max_queue = 4`. In production the burst is endless, and so is the queue.
///
/// Fixed: a bounded `channel(2)`: the producer waits for room, the queue never holds more
/// than two events, and the burst is delivered at the downstream's pace.
pub async fn scenario(variant: Variant) {
    let delivered = match variant {
        Variant::Buggy => {
            let (events, mut queue) = mpsc::unbounded_channel();
            let downstream = racewright::task::Builder::new()
                .name("downstream")
                .spawn(async move {
                    let mut delivered = 0;
                    while queue.recv().await.is_some() {
                        sleep(Duration::from_millis(10)).await;
                        delivered += 1;
                    }
                    delivered
                })
                .unwrap();
            for event in 0..EVENTS {
                events.send(event).expect("the downstream runs until the queue closes");
            }
            drop(events);
            downstream.await.unwrap()
        }
        Variant::Fixed => {
            let (events, mut queue) = mpsc::channel(2);
            let downstream = racewright::task::Builder::new()
                .name("downstream")
                .spawn(async move {
                    let mut delivered = 0;
                    while queue.recv().await.is_some() {
                        sleep(Duration::from_millis(10)).await;
                        delivered += 1;
                    }
                    delivered
                })
                .unwrap();
            for event in 0..EVENTS {
                events.send(event).await.expect("the downstream runs until the queue closes");
            }
            drop(events);
            downstream.await.unwrap()
        }
    };
    assert_eq!(delivered, EVENTS);
}

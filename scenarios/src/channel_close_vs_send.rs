//! A send racing with the receiver's shutdown.

use racewright::sync::mpsc;

use crate::Variant;

/// Two workers report results on a channel; the collector needs only the first result,
/// takes it and closes the channel (draining what was sent before it closed, so that no
/// result is dropped unseen).
///
/// Buggy: each worker unwraps its `send`. When the collector closes the channel before
/// the slower worker sends (worker 1 sends, collector receives and closes, worker 2
/// sends), the second send fails, the `unwrap` panics in worker 2, and the collector's
/// `join` turns that into a panic of the test.
///
/// Fixed: a worker treats a closed channel as "nobody needs my result any more".
pub async fn scenario(variant: Variant) {
    let (tx, mut rx) = mpsc::channel(2);
    let workers: Vec<_> = (1..=2)
        .map(|id| {
            let tx = tx.clone();
            racewright::task::Builder::new()
                .name(&format!("worker {id}"))
                .spawn(async move {
                    match variant {
                        Variant::Buggy => tx.send(id).await.unwrap(),
                        Variant::Fixed => {
                            if tx.send(id).await.is_err() {
                                // The collector is gone: the result is not needed.
                            }
                        }
                    }
                })
                .unwrap()
        })
        .collect();
    drop(tx);
    let first = rx.recv().await.expect("a worker reports");
    rx.close();
    while rx.recv().await.is_some() {}
    assert!(first == 1 || first == 2);
    for worker in workers {
        worker.await.unwrap();
    }
}

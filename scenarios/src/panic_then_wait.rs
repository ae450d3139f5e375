//! Panic then wait: a worker dies before sending its result, and the collector waits for it.

use racewright::sync::mpsc::{self, UnboundedSender};

use crate::Variant;

/// Workers parse their inputs and send the parsed values to the body, which collects them.
///
/// Buggy: the body keeps its own sender (the one it clones for each worker) and expects
/// one result per worker. The worker given `"x3"` panics in `parse` before it sends
/// anything. The body waits in `recv` for a third result that never comes, and since it
/// still holds a sender the channel never closes: every task is blocked. racewright
/// reports the worker's panic, which nobody observed, first (it is why the body waits),
/// and the deadlock after it.
///
/// Fixed: the body drops its sender once the workers are spawned, so `recv` returns
/// `None` when the last worker is done, dead or alive; then it awaits every worker's
/// handle and counts the panics it finds there.
pub async fn scenario(variant: Variant) {
    let inputs = ["1", "2", "x3"];
    let (results, mut collected) = mpsc::unbounded_channel();
    let workers: Vec<_> = inputs
        .into_iter()
        .enumerate()
        .map(|(index, input)| {
            racewright::task::Builder::new()
                .name(&format!("parser {index}"))
                .spawn(parse(input, results.clone()))
                .unwrap()
        })
        .collect();
    let mut values = Vec::new();
    match variant {
        Variant::Buggy => {
            for _ in 0..workers.len() {
                values.push(collected.recv().await.expect("a sender is still alive"));
            }
        }
        Variant::Fixed => {
            drop(results);
            while let Some(value) = collected.recv().await {
                values.push(value);
            }
            let mut failed = 0;
            for worker in workers {
                if let Err(error) = worker.await {
                    assert!(error.is_panic(), "nobody cancels a worker");
                    tracing::warn!(%error, "a worker failed");
                    failed += 1;
                }
            }
            assert_eq!(values.len() + failed, inputs.len());
        }
    }
}

/// Parses `input` and sends the value on `results`.
async fn parse(input: &'static str, results: UnboundedSender<u32>) {
    racewright::task::yield_now().await;
    let value: u32 = input.parse().expect("inputs are numbers");
    let _ = results.send(value);
}

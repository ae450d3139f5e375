//! Detached panic: a background task dies on a rare interleaving, and nobody notices.

use std::sync::Arc;

use racewright::sync::Mutex;
use racewright::task::yield_now;

use crate::Variant;

/// A loader fills in a configuration while a reporter, started at the same time, reads
/// it and reports the port it finds.
///
/// Buggy: the reporter assumes the loader has finished by the time it reads, and unwraps
/// the configuration; it is detached (its handle is dropped). On most schedules the
/// loader wins, but when the reporter runs ahead (the loader is still reading its source
/// when the reporter locks the configuration and finds `None`), the reporter panics. The
/// panic goes to its `JoinHandle`, which nobody holds: the test passes, and the port is
/// never reported.
///
/// Fixed: the body keeps the reporter's handle and awaits it; a panic comes back as a
/// `JoinError` with `is_panic()`, which the body handles: it counts the failed report
/// and logs a warning instead of losing it.
pub async fn scenario(variant: Variant) {
    let config: Arc<Mutex<Option<u32>>> = Arc::default();
    let loader = racewright::task::Builder::new()
        .name("loader")
        .spawn({
            let config = config.clone();
            async move {
                // Reading the configuration's source.
                yield_now().await;
                *config.lock().await = Some(8080);
            }
        })
        .unwrap();
    let reporter = racewright::task::Builder::new()
        .name("reporter")
        .spawn({
            let config = config.clone();
            async move {
                // Setting up: the loader is usually done by now.
                yield_now().await;
                yield_now().await;
                let port = config.lock().await.expect("the configuration is loaded by now");
                tracing::info!(port, "configured port");
            }
        })
        .unwrap();
    loader.await.unwrap();
    match variant {
        Variant::Buggy => drop(reporter),
        Variant::Fixed => {
            let failed_reports = match reporter.await {
                Ok(()) => 0,
                Err(error) if error.is_panic() => {
                    tracing::warn!(%error, "the reporter failed");
                    1
                }
                Err(error) => panic!("nobody cancels the reporter: {error}"),
            };
            tracing::info!(failed_reports, "startup done");
        }
    }
}

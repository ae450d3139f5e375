//! A blocking mutex guard held across an await, inside a `join!`.

use std::sync::Arc;

use racewright::sync::blocking::Mutex;

use crate::Variant;

/// A cache behind a std-like (blocking) mutex, updated by two futures that one task
/// polls together with `join!`: `refresh`, and `record`, which writes down an event
/// that another task delivers.
///
/// Buggy: `refresh` holds the guard across an await. `join!` polls both futures on the
/// same task: if the event arrives while `refresh` is suspended with the lock held,
/// `record` tries the lock and blocks the whole task, so `refresh` can never resume to
/// release it. The task waits for a lock it holds itself: a deadlock (with tokio, a
/// hung worker thread).
///
/// Fixed: `refresh` computes under the lock, drops the guard, then awaits.
pub async fn scenario(variant: Variant) {
    let cache = Arc::new(Mutex::new(Vec::new()));
    let refresh = {
        let cache = cache.clone();
        async move {
            match variant {
                Variant::Buggy => {
                    let mut entries = cache.lock().unwrap();
                    entries.push("refreshed");
                    racewright::task::yield_now().await;
                    entries.push("validated");
                }
                Variant::Fixed => {
                    cache.lock().unwrap().push("refreshed");
                    racewright::task::yield_now().await;
                    cache.lock().unwrap().push("validated");
                }
            }
        }
    };
    let (deliver, event) = racewright::sync::oneshot::channel();
    let source = racewright::task::Builder::new()
        .name("event source")
        .spawn(async move {
            deliver.send("recorded").unwrap();
        })
        .unwrap();
    let record = {
        let cache = cache.clone();
        async move {
            let event = event.await.unwrap();
            cache.lock().unwrap().push(event);
        }
    };
    racewright::join!(refresh, record);
    source.await.unwrap();
    assert_eq!(cache.lock().unwrap().len(), 3);
}

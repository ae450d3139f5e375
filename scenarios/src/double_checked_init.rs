//! Double-checked initialisation without the second check.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use racewright::sync::Mutex;
use racewright::sync::atomic::{AtomicBool, AtomicUsize};

use crate::Variant;

/// A lazily initialised resource: a fast-path flag, and a lock for the slow path.
struct Lazy {
    initialised: AtomicBool,
    lock: Mutex<()>,
    /// How many times the expensive initialisation ran.
    initialisations: AtomicUsize,
}

impl Lazy {
    async fn get(&self, variant: Variant) {
        if self.initialised.load(Ordering::Acquire) {
            return;
        }
        let _guard = self.lock.lock().await;
        if variant == Variant::Fixed && self.initialised.load(Ordering::Acquire) {
            return;
        }
        // The expensive part: may await (a connection, a file).
        racewright::task::yield_now().await;
        self.initialisations.fetch_add(1, Ordering::Relaxed);
        self.initialised.store(true, Ordering::Release);
    }
}

/// Two tasks get a lazily initialised resource at the same time.
///
/// Buggy: after taking the lock, `get` does not check the flag again. When both tasks
/// see the flag unset (task 1 checks, task 2 checks, task 1 initialises under the lock,
/// task 2 takes the lock after it), the resource is initialised twice.
///
/// Fixed: the flag is checked again under the lock.
pub async fn scenario(variant: Variant) {
    let lazy = Arc::new(Lazy {
        initialised: AtomicBool::new(false),
        lock: Mutex::new(()),
        initialisations: AtomicUsize::new(0),
    });
    let users: Vec<_> = (0..2)
        .map(|_| {
            let lazy = lazy.clone();
            racewright::spawn(async move { lazy.get(variant).await })
        })
        .collect();
    for user in users {
        user.await.unwrap();
    }
    assert_eq!(lazy.initialisations.load(Ordering::Relaxed), 1, "initialised more than once");
}

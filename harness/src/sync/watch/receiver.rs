//! The receiving half of a `watch` channel.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use super::error::RecvError;
use super::{Ref, Shared};
use crate::engine;

/// Sees the latest value of a `watch` channel and waits for changes; clone it to watch
/// from several tasks (a clone has seen what the original has seen).
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version of the value this receiver has seen.
    version: u64,
}

impl<T> Receiver<T> {
    pub(super) fn from_shared(shared: Arc<Shared<T>>, version: u64) -> Self {
        Receiver { shared, version }
    }

    /// Borrows the current value without marking it seen.
    #[track_caller]
    pub fn borrow(&self) -> Ref<'_, T> {
        let at = engine::begin();
        // The value first, then the state, as everywhere in `watch`.
        let inner = self.shared.read();
        let state = self.shared.lock();
        let has_changed = state.version != self.version;
        drop(state);
        engine::record_with("watch::Receiver::borrow", at, || seen(has_changed));
        self.shared.make_ref(inner, has_changed)
    }

    /// Borrows the current value and marks it seen.
    #[track_caller]
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let at = engine::begin();
        let (inner, has_changed) = self.shared.read_marking(&mut self.version);
        engine::record_with("watch::Receiver::borrow_and_update", at, || seen(has_changed));
        self.shared.make_ref(inner, has_changed)
    }

    /// Whether there is a value this receiver has not seen. Fails once every sender is gone.
    #[track_caller]
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let at = engine::begin();
        let result = {
            let state = self.shared.lock();
            if state.senders == 0 { Err(RecvError(())) } else { Ok(state.version != self.version) }
        };
        engine::record_with("watch::Receiver::has_changed", at, || match &result {
            Ok(changed) => changed.to_string(),
            Err(_) => "closed".into(),
        });
        result
    }

    /// Waits for a value this receiver has not seen, and marks it seen. Returns at once if
    /// there is one already; fails once every sender is gone and every value was seen.
    ///
    /// Cancel safe.
    #[track_caller]
    pub fn changed(&mut self) -> impl Future<Output = Result<(), RecvError>> + '_ {
        let at = Location::caller();
        engine::cooperative(async move {
            engine::point().await;
            let result = self.shared.wait_for_change(&mut self.version, "watch::Receiver::changed", at).await;
            engine::record_with("watch::Receiver::changed", at, || {
                if result.is_ok() { "changed" } else { "closed" }.into()
            });
            result
        })
    }

    /// Waits until `f` accepts the value, checking the current one first, and returns it
    /// borrowed (and marked seen). Fails once every sender is gone and the last value was
    /// rejected.
    ///
    /// Cancel safe.
    #[track_caller]
    pub fn wait_for<F: FnMut(&T) -> bool>(&mut self, mut f: F) -> impl Future<Output = Result<Ref<'_, T>, RecvError>> {
        let at = Location::caller();
        let Receiver { shared, version } = self;
        let shared: &Shared<T> = shared;
        engine::cooperative(async move {
            engine::point().await;
            loop {
                {
                    let (inner, has_changed) = shared.read_marking(version);
                    if f(&inner) {
                        engine::record_with("watch::Receiver::wait_for", at, || "accepted".into());
                        return Ok(shared.make_ref(inner, has_changed));
                    }
                }
                // Closed means every sender is gone and every value was seen: no new one can come.
                if shared.wait_for_change(version, "watch::Receiver::wait_for", at).await.is_err() {
                    engine::record_with("watch::Receiver::wait_for", at, || "closed".into());
                    return Err(RecvError(()));
                }
            }
        })
    }

    /// Marks the current value unseen: [`changed`](Receiver::changed) returns at once.
    pub fn mark_changed(&mut self) {
        self.version = self.version.wrapping_sub(1);
    }

    /// Marks the current value seen.
    #[track_caller]
    pub fn mark_unchanged(&mut self) {
        let at = engine::begin();
        self.version = self.shared.lock().version;
        engine::record("watch::Receiver::mark_unchanged", at);
    }

    /// Whether every sender is gone.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        let at = engine::begin();
        let closed = self.shared.lock().senders == 0;
        engine::record_with("watch::Receiver::is_closed", at, || closed.to_string());
        closed
    }

    /// Whether both receivers watch the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// A borrow's trace detail.
fn seen(has_changed: bool) -> String {
    if has_changed { "new value" } else { "no change" }.into()
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.lock().receivers += 1;
        Receiver { shared: self.shared.clone(), version: self.version }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let last = {
            let mut state = self.shared.lock();
            state.receivers -= 1;
            state.receivers == 0
        };
        if last {
            self.shared.receivers_gone.wake_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("shared", &self.shared).field("version", &self.version).finish()
    }
}

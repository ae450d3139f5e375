//! The `tracing` subscriber every exploration installs on its thread: it keeps each task's
//! span stack (`run/spans.rs`) and watches for error events nobody handled
//! (`detect/error_events.rs`).

use tracing::Dispatch;
use tracing::dispatcher::DefaultGuard;
use tracing_subscriber::layer::SubscriberExt;

use crate::detect::error_events::ErrorEvents;
use crate::run::spans::SpanStacks;

thread_local! {
    /// Made once per thread: a registry costs tens of thousands of instructions and fresh
    /// pages at its first use, and every new dispatcher makes `tracing` recompute the
    /// interest of every call site, which short explorations (loom's, a lane's) would pay
    /// again and again.
    static SUBSCRIBER: Dispatch = Dispatch::new(tracing_subscriber::registry().with(SpanStacks).with(ErrorEvents));
}

/// Makes this thread's subscriber the default until the guard drops.
pub(super) fn install() -> DefaultGuard {
    SUBSCRIBER.with(tracing::dispatcher::set_default)
}

//! The `tracing` subscriber every exploration installs on its thread: it keeps each task's
//! span stack (`run/spans.rs`) and watches for error events nobody handled
//! (`detect/error_events.rs`).
//!
//! A search installs it only once a call site it wants has been reached in the process
//! (a span, or an event of level INFO or above, of the test's code or of a crate it
//! calls), or at once where a global default is set (which would otherwise be given the
//! engines' own events, which the subscriber keeps out). Until then the subscriber would
//! see nothing, and being the thread's default costs at every switch: shuttle parks and
//! reinstates the task's default dispatcher, and `tracing` counts scoped defaults in one
//! process-wide atomic, which the lanes' threads then take turns to write. The subscriber
//! exists all the same, registered with `tracing`, so that it is asked about every call
//! site as it is first reached: the search whose executions ran while one appeared (an
//! event they did not see) runs again with the subscriber installed (`shuttle::search`).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::dispatcher::DefaultGuard;
use tracing::subscriber::{Interest, NoSubscriber};
use tracing::{Dispatch, Metadata, Subscriber};
use tracing_subscriber::layer::{Layer, SubscriberExt};

use crate::detect::error_events::ErrorEvents;
use crate::run::spans::SpanStacks;

thread_local! {
    /// Made once per thread: a registry costs tens of thousands of instructions and fresh
    /// pages at its first use, and every new dispatcher makes `tracing` recompute the
    /// interest of every call site, which short explorations (loom's, a lane's) would pay
    /// again and again.
    static SUBSCRIBER: Dispatch =
        Dispatch::new(tracing_subscriber::registry().with(SpanStacks).with(ErrorEvents).with(Reached));
}

/// A call site the subscriber wants has been reached in this process.
static WANTED: AtomicBool = AtomicBool::new(false);

/// A dispatcher that wants nothing, kept for the life of the process: while a single
/// dispatcher exists, `tracing` asks only the thread's default about a new call site,
/// which is no subscriber of racewright's during a search that has not installed one.
static SECOND: OnceLock<Dispatch> = OnceLock::new();

/// Notes each call site the subscriber wants as `tracing` first asks about it.
struct Reached;

impl<S: Subscriber> Layer<S> for Reached {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if ErrorEvents::wants(metadata) {
            WANTED.store(true, Ordering::SeqCst);
        }
        // Leaves the interest to the layers below.
        Interest::always()
    }
}

/// Makes this thread's subscriber the default until the guard drops.
pub(super) fn install() -> DefaultGuard {
    SUBSCRIBER.with(tracing::dispatcher::set_default)
}

/// Makes this thread's subscriber exist, without installing it: from now on it hears of
/// every call site as it is first reached (and, made now, of every one reached before).
pub(super) fn register() {
    SECOND.get_or_init(|| Dispatch::new(NoSubscriber::default()));
    SUBSCRIBER.with(|_| ());
}

/// Whether a call site the subscriber wants has been reached in this process, by any
/// thread: from then on every exploration installs the subscriber.
pub(super) fn wanted() -> bool {
    WANTED.load(Ordering::SeqCst)
}

/// Whether a search may go without the subscriber for now: none of the call sites it wants
/// has been reached, and no global default would see in its place what it keeps out (the
/// engines' own events at every step, which a test's subscriber at `trace` would print).
pub(super) fn may_wait() -> bool {
    !wanted() && !global_default_set()
}

/// Whether the process has a global default subscriber. Not `dispatcher::has_been_set`,
/// which tells whether any dispatcher was ever made a default, scoped ones included: the
/// process's first exploration runs under a scoped `Dispatch::none()` (shuttle's set-up
/// run), and shuttle parks a task's own default as a scoped one; every later search would
/// then install the subscriber.
fn global_default_set() -> bool {
    // Asked on an exploring thread, which has no default of its own: `tracing` gives the
    // global one, or none.
    tracing::dispatcher::get_default(|dispatch| !dispatch.is::<NoSubscriber>())
}

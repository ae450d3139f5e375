//! The catalogue of async concurrency bug patterns.
//!
//! Each pattern is one function taking a [`Variant`]: the buggy variant has the bug
//! racewright must find, the fixed variant the fix it must accept. The doc comment of
//! each function tells the interleaving that breaks the buggy one. `tests/detection.rs`
//! checks every entry; the `tour` example prints a page about them.

use futures::future::LocalBoxFuture;
use racewright::{FailureKind, Scenario};

// The classic patterns.
pub mod abba_deadlock;
pub mod blocking_guard_in_join;
pub mod channel_close_vs_send;
pub mod double_checked_init;
pub mod lost_update;
pub mod notify_check_then_register;
pub mod notify_one_vs_waiters;
pub mod semaphore_permit_leak;
// What raw shuttle loses.
pub mod detached_panic;
pub mod detached_worker_leak;
pub mod handwritten_lost_wakeup;
pub mod mutex_semaphore_abba;
pub mod panic_then_wait;
pub mod spawn_after_shutdown;
pub mod swallowed_error;
// Time and cancellation.
pub mod cancelled_counter;
pub mod interval_shutdown_leak;
pub mod pool_cancel;
pub mod retry_backoff;
pub mod select_fresh_listener;
pub mod timeout_race;
// Lost wakeups, blocking in async, lost messages, unbounded growth.
pub mod condvar_on_current_thread;
pub mod connection_drops_requests;
pub mod event_poll_ignores_context;
pub mod join_all_pending_when_done;
pub mod spawn_per_request;
pub mod unbounded_event_queue;
pub mod waker_slot_overwritten;

// Async stacks: the code is `#[instrument]`ed, and the report says where each task is in it.
pub mod reply_before_register;
// Weak memory, which only loom sees.
pub mod relaxed_publication;
pub mod store_buffer_lost_wakeup;
// Issue 12: SCTBench's programs, on racewright and on raw shuttle.
pub mod sctbench;

/// Which side of a pattern to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The code with the bug.
    Buggy,
    /// The same code, fixed.
    Fixed,
}

/// One pattern of the catalogue.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The pattern's module name.
    pub name: &'static str,
    /// What goes wrong in the buggy variant, in one line.
    pub what: &'static str,
    /// What racewright must report for the buggy variant.
    pub expected: FailureKind,
    /// Runs one variant of the pattern.
    pub run: fn(Variant) -> LocalBoxFuture<'static, ()>,
    /// The settings the pattern's tests give (as attribute arguments), on top of the defaults.
    pub tune: fn(Scenario) -> Scenario,
}

impl Entry {
    /// `scenario` with the pattern's own settings.
    pub fn tuned(&self, scenario: Scenario) -> Scenario {
        (self.tune)(scenario)
    }
}

/// Every pattern, in the order of the catalogue.
pub fn catalogue() -> Vec<Entry> {
    macro_rules! entry {
        ($module:ident, $kind:ident, $what:literal) => {
            entry!($module, $kind, $what, |scenario| scenario)
        };
        ($module:ident, $kind:ident, $what:literal, $tune:expr) => {
            Entry {
                name: stringify!($module),
                what: $what,
                expected: FailureKind::$kind,
                run: |variant| Box::pin($module::scenario(variant)),
                tune: $tune,
            }
        };
    }
    vec![
        entry!(lost_update, Panic, "two tasks read, yield, write back: an increment is lost"),
        entry!(abba_deadlock, Deadlock, "two locks taken in opposite orders"),
        entry!(
            notify_check_then_register,
            Deadlock,
            "a condition checked, then its notification awaited: the wakeup is lost"
        ),
        entry!(
            notify_one_vs_waiters,
            Deadlock,
            "`notify_waiters` where `notify_one` was meant: a hand-off nobody receives"
        ),
        entry!(channel_close_vs_send, Panic, "a send racing with the receiver's shutdown"),
        entry!(double_checked_init, Panic, "double-checked initialisation without the second check"),
        entry!(semaphore_permit_leak, Deadlock, "a semaphore permit forgotten on an early return"),
        entry!(blocking_guard_in_join, BlockingInAsync, "a blocking mutex guard held across an await inside `join!`"),
        entry!(detached_worker_leak, Leak, "a detached worker waits on a channel that never closes"),
        entry!(spawn_after_shutdown, Leak, "a task that starts waiting after the shutdown signal misses it"),
        entry!(detached_panic, UnhandledPanic, "a background task dies on a rare interleaving, and nobody notices"),
        entry!(panic_then_wait, UnhandledPanic, "a worker dies before sending its result; the collector waits for it"),
        entry!(swallowed_error, Error, "a retry loop gives up on a busy resource, logs an error, carries on"),
        entry!(mutex_semaphore_abba, Deadlock, "ABBA deadlock across a `Mutex` and a `Semaphore`"),
        entry!(handwritten_lost_wakeup, LostWakeup, "a hand-written future returns `Pending` with nobody to wake it"),
        // `timeout_race` needs `time = "any"`, which entries do not carry: see tests/detection.rs.
        entry!(pool_cancel, Panic, "a pool connection lost when `get` is cancelled at an await"),
        entry!(cancelled_counter, Panic, "a counter left incremented by a call cancelled at an await", |scenario| {
            // The reply to a call the user hung up on is dropped on purpose.
            scenario.lost_messages(racewright::Policy::Allow)
        }),
        entry!(
            select_fresh_listener,
            Deadlock,
            "a fresh shutdown listener per `select!`: a signal between two is lost"
        ),
        entry!(interval_shutdown_leak, Leak, "an interval task outlives its service: shutdown checked between ticks"),
        entry!(retry_backoff, Panic, "retries counted, not timed: the client gives up before the server is up"),
        entry!(
            reply_before_register,
            Leak,
            "a caller registers for its reply after sending the request: a quick reply finds nobody"
        ),
        entry!(
            waker_slot_overwritten,
            LostWakeup,
            "one waker slot for two waiters: the second registration drops the first waiter's waker"
        ),
        entry!(
            join_all_pending_when_done,
            LostWakeup,
            "a hand-written join returns `Pending` after its last future completed"
        ),
        entry!(event_poll_ignores_context, LostWakeup, "an event stream's `poll_recv` ignores its `Context`"),
        entry!(
            connection_drops_requests,
            LostMessages,
            "a connection that breaks returns, dropping the requests queued for it"
        ),
        entry!(
            unbounded_event_queue,
            UnboundedGrowth,
            "an unbounded channel between a fast producer and a slow consumer",
            |scenario| scenario.max_queue(4)
        ),
        entry!(
            spawn_per_request,
            UnboundedGrowth,
            "a task spawned per request, with no limit on how many run at once",
            |scenario| scenario.max_queue(3)
        ),
    ]
}

/// The patterns that show only on a runtime with one thread (`flavor = "current_thread"`),
/// which shuttle explores and loom cannot: not in [`catalogue`], whose every entry every
/// engine must catch.
pub fn one_thread() -> Vec<Entry> {
    vec![Entry {
        name: "condvar_on_current_thread",
        what: "a `Condvar::wait` in a task: works while another worker is free, hangs on one thread",
        expected: FailureKind::BlockingInAsync,
        run: |variant| Box::pin(condvar_on_current_thread::scenario(variant)),
        tune: |scenario| scenario.flavor(racewright::Flavor::CurrentThread),
    }]
}

/// The patterns whose bug lives in the memory model, not in an interleaving: only the loom
/// engine sees them (shuttle runs every ordering as `SeqCst`), so they are not in
/// [`catalogue`], whose every entry every engine must catch.
pub fn weak_memory() -> Vec<Entry> {
    vec![
        Entry {
            name: "relaxed_publication",
            what: "data published behind a flag stored and loaded `Relaxed`",
            expected: FailureKind::Panic,
            run: |variant| Box::pin(relaxed_publication::scenario(variant)),
            tune: |scenario| scenario,
        },
        Entry {
            name: "store_buffer_lost_wakeup",
            what: "waiter and notifier each store, then both load the other's old flag",
            expected: FailureKind::Deadlock,
            run: |variant| Box::pin(store_buffer_lost_wakeup::scenario(variant)),
            tune: |scenario| scenario,
        },
    ]
}

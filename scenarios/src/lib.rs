//! The catalogue of async concurrency bug patterns.
//!
//! Each pattern is one function taking a [`Variant`]: the buggy variant has the bug
//! racewright must find, the fixed variant the fix it must accept. The doc comment of
//! each function tells the interleaving that breaks the buggy one. `tests/detection.rs`
//! checks every entry; the `tour` example prints the reports of a few.

use futures::future::LocalBoxFuture;
use racewright::FailureKind;

// Issue 2: the classic patterns.
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
// Issue 5: time and cancellation.
pub mod cancelled_counter;
pub mod interval_shutdown_leak;
pub mod pool_cancel;
pub mod retry_backoff;
pub mod select_fresh_listener;
pub mod timeout_race;
// Issue 6: weak memory, which only loom sees.
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
    /// What racewright must report for the buggy variant.
    pub expected: FailureKind,
    /// Runs one variant of the pattern.
    pub run: fn(Variant) -> LocalBoxFuture<'static, ()>,
}

/// Every pattern, in the order of the catalogue.
pub fn catalogue() -> Vec<Entry> {
    macro_rules! entry {
        ($module:ident, $kind:ident) => {
            Entry {
                name: stringify!($module),
                expected: FailureKind::$kind,
                run: |variant| Box::pin($module::scenario(variant)),
            }
        };
    }
    vec![
        entry!(lost_update, Panic),
        entry!(abba_deadlock, Deadlock),
        entry!(notify_check_then_register, Deadlock),
        entry!(notify_one_vs_waiters, Deadlock),
        entry!(channel_close_vs_send, Panic),
        entry!(double_checked_init, Panic),
        entry!(semaphore_permit_leak, Deadlock),
        entry!(blocking_guard_in_join, Deadlock),
        entry!(detached_worker_leak, Leak),
        entry!(spawn_after_shutdown, Leak),
        entry!(detached_panic, UnhandledPanic),
        entry!(panic_then_wait, UnhandledPanic),
        entry!(swallowed_error, Error),
        entry!(mutex_semaphore_abba, Deadlock),
        entry!(handwritten_lost_wakeup, Deadlock),
        // `timeout_race` needs `time = "any"`, which entries do not carry: see tests/detection.rs.
        entry!(pool_cancel, Panic),
        entry!(cancelled_counter, Panic),
        entry!(select_fresh_listener, Deadlock),
        entry!(interval_shutdown_leak, Leak),
        entry!(retry_backoff, Panic),
    ]
}

/// The patterns whose bug lives in the memory model, not in an interleaving: only the loom
/// engine sees them (shuttle runs every ordering as `SeqCst`), so they are not in
/// [`catalogue`], whose every entry every engine must catch.
pub fn weak_memory() -> Vec<Entry> {
    vec![
        Entry {
            name: "relaxed_publication",
            expected: FailureKind::Panic,
            run: |variant| Box::pin(relaxed_publication::scenario(variant)),
        },
        Entry {
            name: "store_buffer_lost_wakeup",
            expected: FailureKind::Deadlock,
            run: |variant| Box::pin(store_buffer_lost_wakeup::scenario(variant)),
        },
    ]
}

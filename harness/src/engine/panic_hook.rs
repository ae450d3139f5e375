//! Panics inside an execution are data, not noise.
//!
//! The hook installed here records each panic of an execution (message, location)
//! for the code that catches it, and prints nothing; outside an execution it hands
//! over to the hook that was there before. Shuttle's own hook, which prints the
//! schedule of the first run it saw, is replaced, never chained.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, PanicHookInfo};
use std::sync::Once;

use crate::run::execution;

/// A panic caught in an execution.
#[derive(Clone, Debug)]
pub(crate) struct CaughtPanic {
    pub(crate) message: String,
    /// `file:line:column`, relative to the workspace.
    pub(crate) location: Option<String>,
}

thread_local! {
    static LAST_PANIC: RefCell<Option<CaughtPanic>> = const { RefCell::new(None) };
}

/// Installs the hook, once per process. `prepare` lets the engines install what they hook
/// into panics first (shuttle installs its hook on its first run), so that it is replaced.
pub(crate) fn install_hook(prepare: fn()) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        // Shuttle installs its hook once, on its first run: make that happen now, then drop it.
        prepare();
        drop(panic::take_hook());
        panic::set_hook(Box::new(move |info| {
            if execution::is_active() {
                // The engine's own panics are its business, not the code under test's.
                if !super::claims_panic(info) {
                    record(info);
                }
            } else {
                previous(info);
            }
        }));
    });
}

fn record(info: &PanicHookInfo<'_>) {
    let caught = CaughtPanic {
        message: message_of(info.payload()),
        location: info
            .location()
            .map(|location| crate::model::paths::location_parts(location.file(), location.line(), location.column())),
    };
    LAST_PANIC.with(|last| *last.borrow_mut() = Some(caught));
}

/// Takes the panic the hook recorded last. `None` means the unwinding in progress is not
/// a panic of the code under test (an engine tearing a task's stack down).
pub(crate) fn take_caught() -> Option<CaughtPanic> {
    LAST_PANIC.with(|last| last.borrow_mut().take())
}

/// The message of a panic payload.
pub(crate) fn message_of(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_string()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "Box<dyn Any>".to_string()
    }
}

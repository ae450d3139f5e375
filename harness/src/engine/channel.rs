//! What a channel tells the seam of its contents: made, a message in, messages out,
//! closed. The trace keeps it for the report's step-by-step view, which replays it into
//! what each channel holds after each step (who sent each message, when and where).
//!
//! Only recorded: nothing here is judged, and the metrics and findings of queues come from
//! [`super::queued`], [`super::dequeued`] and [`super::messages_lost`], as before.

use std::panic::Location;

use super::Resource;
use crate::run::execution;
pub(crate) use crate::trace::Closing;
use crate::trace::Transition;

/// The running task made `channel`, which holds at most `capacity` messages (`None`: no
/// bound to show).
pub(crate) fn opened(channel: Resource, capacity: Option<usize>) {
    record(Transition::ChannelOpened(channel, capacity));
}

/// The running task put a message into `channel` at `at`; it now holds `len` (the oldest
/// beyond that were overwritten, or replaced).
pub(crate) fn sent(channel: Resource, at: &'static Location<'static>, len: usize) {
    record(Transition::Sent(channel, at, len));
}

/// Messages were taken out of `channel`, oldest first; it now holds `len`.
pub(crate) fn taken(channel: Resource, len: usize) {
    record(Transition::Taken(channel, len));
}

/// The running task closed `channel`, as `how` says.
pub(crate) fn closed(channel: Resource, how: Closing) {
    record(Transition::ChannelClosed(channel, how));
}

fn record(what: Transition) {
    execution::with(|state| {
        // The engine tearing an execution down (or unwinding it after a finding) drops what
        // it holds: not the program's doing.
        if state.stopping || state.tearing_down {
            return;
        }
        let task = state.current_task();
        state.change(task, what);
    });
}

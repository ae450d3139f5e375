//! Lost messages: a channel dropped with messages sent into it and never received.
//!
//! A sender whose message is refused (the receiver already gone) gets it back: that is
//! no loss. A receiver dropped, or closed and dropped, while values wait in its queue
//! (an mpsc channel, a oneshot holding its value) throws away work someone did: a
//! consumer that stops on a shutdown signal without draining, a reply that arrives
//! just after the requester gave up. Judged at the end of the execution.

use super::{Failure, FailureKind, Moment, TaskRef};
use crate::model::paths;
use crate::run::execution::ExecutionState;
use crate::run::queues::LostMessages;
use crate::run::settings::Policy;

/// One finding per channel dropped with messages in it.
pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    if !matches!(moment, Moment::Settled) || state.settings.lost_messages == Policy::Allow {
        return Vec::new();
    }
    state.queues.lost.iter().map(|lost| finding(state, lost)).collect()
}

fn finding(state: &ExecutionState, lost: &LostMessages) -> Failure {
    let dropper = TaskRef::of(state.tasks.get(lost.dropped_by));
    let messages = if lost.count == 1 { "1 message".to_string() } else { format!("{} messages", lost.count) };
    let mut failure = Failure::new(
        FailureKind::LostMessages,
        format!("{} was dropped with {messages} sent into it and never received", lost.channel),
    )
    .in_task(dropper.clone());
    for sender in &lost.senders {
        let times = if sender.count == 1 { String::new() } else { format!(" ({} of them)", sender.count) };
        failure = failure.detail(format!(
            "sent by {} at {}{times}",
            TaskRef::of(state.tasks.get(sender.task)),
            paths::location(sender.at)
        ));
    }
    let event = lost.dropped_after.and_then(|index| state.trace.events().get(index));
    match event.and_then(|event| Some((event.operation, event.at.full()?))) {
        Some((operation, at)) => {
            failure = failure
                .at(Some(at.clone()))
                .detail(format!("its receiver was dropped by {dropper}, after {operation} at {at}"));
        }
        None => failure = failure.detail(format!("its receiver was dropped by {dropper}")),
    }
    failure.detail(
        "receive what is queued before dropping the receiver (`close()`, then drain until `None`), or allow it \
         with lost_messages = \"allow\""
            .to_string(),
    )
}

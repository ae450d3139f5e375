//! The `tracing` spans a task is in: the user's names for where it is across its awaits.
//!
//! An `#[instrument]`ed async fn (or an `.instrument(span)`ed future) enters its span each
//! time it is polled and exits it when the poll returns, `Pending` included. So while a
//! task is suspended at an `.await` no span is entered: its stack is the one it had when
//! it stopped there. [`SpanStack`] keeps both, per task.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use tracing::field::{Field, Visit};

/// A `tracing` span, as reports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    /// Its name; for `#[instrument]`, the function's.
    pub(crate) name: &'static str,
    /// Its fields, `key=value ...` (the arguments `#[instrument]` records), or empty.
    pub(crate) fields: String,
    /// Where it is declared, `file:line`, relative to the workspace.
    pub(crate) at: Option<String>,
}

impl Span {
    /// `name{fields}`, as `tracing-subscriber`'s formatter writes a span.
    pub(crate) fn describe(&self) -> String {
        if self.fields.is_empty() { self.name.to_string() } else { format!("{}{{{}}}", self.name, self.fields) }
    }
}

/// A span a task entered, with the registry's id for it (unique while the span is open).
#[derive(Clone, Debug)]
struct Entered {
    id: u64,
    span: Arc<Span>,
}

/// The spans of one task: those it is in now, and those it was in where it last stopped.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpanStack {
    /// Entered and not exited, outermost first.
    entered: Vec<Entered>,
    /// The spans the task was in where it last stopped: at an `.await` that returned
    /// `Pending`, in a wait, or where it panicked.
    stopped: Vec<Entered>,
    /// Exits have followed one another since the task last entered a span or began to
    /// wait: it is leaving its poll, and `stopped` says where from.
    leaving: bool,
    /// The task panicked: `stopped` is where, and stays so (its futures, dropped once the
    /// panic is caught, enter and exit their spans once more) until it waits again.
    panicked: bool,
}

impl SpanStack {
    /// The task entered `span`. Entered while a panic unwinds (a future dropped on the
    /// way enters its span to drop its content), it does not move where the task stopped.
    pub(crate) fn enter(&mut self, id: u64, span: Arc<Span>, unwinding: bool) {
        self.entered.push(Entered { id, span });
        if !unwinding {
            self.leaving = false;
        }
    }

    /// The task exited span `id`: the first exit of a run is where the task stops, if
    /// the run ends its poll; the first exit of a panic's unwinding is where it panicked.
    pub(crate) fn exit(&mut self, id: u64, unwinding: bool) {
        if unwinding && !self.panicked {
            self.stopped.clone_from(&self.entered);
            self.panicked = true;
        } else if !self.leaving && !self.panicked {
            self.stopped.clone_from(&self.entered);
        }
        self.leaving = true;
        if let Some(position) = self.entered.iter().rposition(|entered| entered.id == id) {
            self.entered.remove(position);
        }
    }

    /// Span `id` closed: a future that completed, or a scope that ended, is not where the
    /// task stopped. (While a panic unwinds, the spans close on the way out of where it
    /// happened, which stays.)
    pub(crate) fn closed(&mut self, id: u64, unwinding: bool) {
        if unwinding || self.panicked {
            return;
        }
        if let Some(position) = self.stopped.iter().position(|entered| entered.id == id) {
            self.stopped.truncate(position);
        }
    }

    /// The task begins to wait in a racewright primitive: it stops where it is.
    pub(crate) fn waits(&mut self) {
        self.stopped.clone_from(&self.entered);
        self.leaving = false;
        self.panicked = false;
    }

    /// The task's spans, innermost first: those it is in while `running` (being polled),
    /// else those it was in where it stopped.
    pub(crate) fn current(&self, running: bool) -> impl Iterator<Item = &Span> {
        let spans = if running { &self.entered } else { &self.stopped };
        spans.iter().rev().map(|entered| entered.span.as_ref())
    }

    /// The spans the task is in now, outermost first, as `a{x=1}:b`; `None` in none.
    pub(crate) fn path(&self) -> Option<String> {
        let names: Vec<String> = self.entered.iter().map(|entered| entered.span.describe()).collect();
        (!names.is_empty()).then(|| names.join(":"))
    }
}

/// The fields of a `tracing` event or span: the message, then `key=value ...`.
#[derive(Default)]
pub(crate) struct Fields {
    message: String,
    others: String,
}

impl Fields {
    /// `message key=value ...`.
    pub(crate) fn render(self) -> String {
        match (self.message.is_empty(), self.others.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.others,
            (false, false) => format!("{} {}", self.message, self.others),
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            if !self.others.is_empty() {
                self.others.push(' ');
            }
            let _ = write!(self.others, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(name: &'static str) -> Arc<Span> {
        Arc::new(Span { name, fields: String::new(), at: None })
    }

    fn names<'a>(spans: impl Iterator<Item = &'a Span>) -> Vec<&'static str> {
        spans.map(|span| span.name).collect()
    }

    #[test]
    fn a_suspended_task_keeps_the_spans_it_stopped_in() {
        let mut stack = SpanStack::default();
        stack.enter(1, span("serve"), false);
        stack.enter(2, span("handle"), false);
        // The poll returns Pending: the instrumented futures exit, innermost first.
        stack.exit(2, false);
        stack.exit(1, false);
        assert_eq!(names(stack.current(false)), ["handle", "serve"]);
        assert_eq!(names(stack.current(true)), Vec::<&str>::new());
        assert_eq!(stack.path(), None);
    }

    #[test]
    fn a_completed_child_is_not_where_the_task_stopped() {
        let mut stack = SpanStack::default();
        stack.enter(1, span("serve"), false);
        stack.enter(2, span("parse"), false);
        stack.exit(2, false);
        stack.closed(2, false);
        // `serve` then awaits something that is not racewright's, and returns Pending.
        stack.exit(1, false);
        assert_eq!(names(stack.current(false)), ["serve"]);
    }

    #[test]
    fn a_wait_is_where_the_task_stops_whatever_it_exited_before() {
        let mut stack = SpanStack::default();
        stack.enter(1, span("serve"), false);
        stack.enter(2, span("scope"), false);
        stack.exit(2, false);
        stack.waits();
        stack.exit(1, false);
        assert_eq!(names(stack.current(false)), ["serve"]);
    }

    #[test]
    fn a_panic_keeps_the_spans_it_happened_in() {
        let mut stack = SpanStack::default();
        stack.enter(1, span("serve"), false);
        stack.enter(2, span("handle"), false);
        assert_eq!(stack.path().as_deref(), Some("serve:handle"));
        // Unwinding: the guards exit, the dropped futures enter and exit, the spans close.
        stack.exit(2, true);
        stack.exit(1, true);
        stack.enter(1, span("serve"), true);
        stack.exit(1, true);
        stack.closed(2, true);
        // Once the panic is caught, the task's future is dropped.
        stack.enter(1, span("serve"), false);
        stack.exit(1, false);
        stack.closed(1, false);
        assert_eq!(names(stack.current(false)), ["handle", "serve"]);
    }

    #[test]
    fn a_span_reads_as_the_formatter_writes_it() {
        let with_fields = Span { name: "handle", fields: "id=3".to_string(), at: None };
        assert_eq!(with_fields.describe(), "handle{id=3}");
        assert_eq!(span("serve").describe(), "serve");
    }
}

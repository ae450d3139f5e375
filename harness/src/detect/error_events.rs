//! Logged errors: an ERROR-level `tracing` event during an execution is a finding.
//!
//! A `tracing` layer, installed for the exploration, attributes every event to the
//! task that emitted it; events also go to the trace, for the timeline.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use super::{Failure, FailureKind, TaskRef};
use crate::model::paths;
use crate::run::execution;
use crate::run::settings::Policy;

/// Routes the `tracing` events of executions to the execution's state.
pub(crate) struct ErrorEvents;

impl<S: Subscriber> Layer<S> for ErrorEvents {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        // Debug and trace events, and the engines' own events, are not findings.
        let target = metadata.target();
        *metadata.level() <= Level::INFO && !target.starts_with("shuttle") && !target.starts_with("loom")
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let location = metadata.file().map(|file| paths::location_parts(file, metadata.line().unwrap_or(0), 1));
        let level = *metadata.level();
        execution::try_with(|state| {
            let task = state.current_task();
            let step = state.scheduler.steps;
            let text = fields.render();
            state.trace.push_event(step, task, level, location.clone(), text.clone());
            if level == Level::ERROR && state.settings.error_events == Policy::Deny && !state.stopping {
                let who = TaskRef::of(state.tasks.get(task));
                state.report(
                    Failure::new(FailureKind::Error, format!("ERROR event: {text}"))
                        .at(location)
                        .in_task(who)
                        .detail(format!("target {}", metadata.target())),
                );
            }
        });
    }
}

/// An event's message and fields, `message key=value ...`.
#[derive(Default)]
struct Fields {
    message: String,
    others: String,
}

impl Fields {
    fn render(self) -> String {
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

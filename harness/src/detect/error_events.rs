//! Logged errors: an ERROR-level `tracing` event during an execution is a finding.
//!
//! A `tracing` layer, installed for the exploration, attributes every event to the
//! task that emitted it, with the spans that task is in (`run/spans.rs` keeps them);
//! events also go to the trace, for the timeline.

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use super::{Failure, FailureKind, TaskRef};
use crate::model::paths;
use crate::model::spans::Fields;
use crate::run::execution;
use crate::run::settings::Policy;
use crate::run::spans::is_engines_own;

/// Routes the `tracing` events of executions to the execution's state.
pub(crate) struct ErrorEvents;

impl ErrorEvents {
    /// Whether the subscriber wants what `metadata` describes. Debug and trace events, and
    /// the engines' own events, are not findings. Spans of every level are wanted: they are
    /// where the tasks are.
    pub(crate) fn wants(metadata: &tracing::Metadata<'_>) -> bool {
        !is_engines_own(metadata) && (metadata.is_span() || *metadata.level() <= Level::INFO)
    }
}

impl<S: Subscriber> Layer<S> for ErrorEvents {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        ErrorEvents::wants(metadata)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let location = metadata.file().map(|file| paths::location_parts(file, metadata.line().unwrap_or(0), 1));
        let level = *metadata.level();
        execution::try_with(|state| {
            let task = state.task_on_engine();
            let step = state.scheduler.steps;
            let text = fields.render();
            let spans = state.tasks.get(task).spans.path();
            state.trace.push_event(step, task, level, location.clone(), text.clone(), spans.clone());
            if level == Level::ERROR && state.settings.error_events == Policy::Deny && !state.stopping {
                let who = TaskRef::of(state.tasks.get(task));
                let mut finding = Failure::new(FailureKind::Error, format!("ERROR event: {text}"))
                    .at(location)
                    .in_task(who)
                    .detail(format!("target {}", metadata.target()));
                if let Some(spans) = spans {
                    finding = finding.detail(format!("spans: {spans}"));
                }
                state.report(finding);
            }
        });
    }
}

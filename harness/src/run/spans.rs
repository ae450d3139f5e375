//! Each task's `tracing` span stack: a layer, installed for every exploration, that
//! attributes span enters and exits to the running task.
//!
//! `tracing`'s own idea of the current span is per thread, and every task of an execution
//! runs on the one thread that explores it: switching tasks in the middle of a poll
//! leaves it meaningless. Attributed to the running task, the same enters and exits say
//! which spans each task is in, across its awaits (`model/spans.rs`).

use std::sync::Arc;

use tracing::span::{Attributes, Id, Record};
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::execution;
use crate::model::paths;
use crate::model::spans::{Fields, Span};

/// Keeps each task's span stack in the execution's task registry.
pub(crate) struct SpanStacks;

/// Whether a span or event is the engines' own (shuttle's and loom's), not the user's.
pub(crate) fn is_engines_own(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    target.starts_with("shuttle") || target.starts_with("loom")
}

impl<S> Layer<S> for SpanStacks
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let metadata = attributes.metadata();
        if is_engines_own(metadata) {
            return;
        }
        let mut fields = Fields::default();
        attributes.record(&mut fields);
        let at = metadata.file().map(|file| format!("{}:{}", paths::relative(file), metadata.line().unwrap_or(0)));
        let span = Span { name: metadata.name(), fields: fields.render(), at };
        if let Some(data) = ctx.span(id) {
            data.extensions_mut().insert(Arc::new(span));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(data) = ctx.span(id) else { return };
        let mut extensions = data.extensions_mut();
        let Some(span) = extensions.get_mut::<Arc<Span>>() else { return };
        let mut fields = Fields::default();
        values.record(&mut fields);
        let added = fields.render();
        // What the task is in from here on; the stacks taken before keep the old values.
        let recorded = Arc::make_mut(span);
        recorded.fields = if recorded.fields.is_empty() { added } else { format!("{} {added}", recorded.fields) };
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id).and_then(|data| data.extensions().get::<Arc<Span>>().cloned()) else { return };
        let unwinding = std::thread::panicking();
        on_task(|spans| spans.enter(id.into_u64(), span, unwinding));
    }

    fn on_exit(&self, id: &Id, _: Context<'_, S>) {
        let unwinding = std::thread::panicking();
        on_task(|spans| spans.exit(id.into_u64(), unwinding));
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        let unwinding = std::thread::panicking();
        on_task(|spans| spans.closed(id.into_u64(), unwinding));
    }
}

/// Runs `f` on the span stack of the running task. Once the execution is judged, the
/// stacks stay as they were: what the engine's teardown drops is not the program's doing.
fn on_task(f: impl FnOnce(&mut crate::model::spans::SpanStack)) {
    execution::try_with(|state| {
        if !state.stopping {
            let task = state.task_on_engine();
            f(&mut state.tasks.get_mut(task).spans);
        }
    });
}

//! A timer as a facade operation: what `Sleep` and `Timeout` share.

use std::panic::Location;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use crate::engine::{self, NEVER, Timer};
use crate::model::timers::display;
use crate::run::execution;

/// A timer that behaves as a facade operation: a scheduling point and a trace event on its
/// first poll, a wait that reports can name while it is pending, and a trace event when it
/// is dropped (cancelled) before it completed.
pub(crate) struct TracedTimer {
    timer: Timer,
    /// The duration asked for, when the caller gave one (rather than a deadline).
    requested: Option<Duration>,
    operation: &'static str,
    at: &'static Location<'static>,
    /// The first poll is behind us.
    started: bool,
    /// The operation completed: dropping it now is no cancellation.
    finished: bool,
}

impl TracedTimer {
    pub(crate) fn new(
        deadline: Duration,
        requested: Option<Duration>,
        operation: &'static str,
        at: &'static Location<'static>,
    ) -> Self {
        TracedTimer { timer: Timer::new(deadline), requested, operation, at, started: false, finished: false }
    }

    /// The deadline of `duration` from now; one past what the clock counts is 30 years
    /// away, as tokio puts it (so it does come, once the clock has moved that far).
    pub(crate) fn deadline_after(duration: Duration) -> Duration {
        let now = Instant::now();
        now.checked_add(duration).unwrap_or(now + engine::FAR_FUTURE).since_origin()
    }

    pub(crate) fn timer(&self) -> &Timer {
        &self.timer
    }

    pub(crate) fn at(&self) -> &'static Location<'static> {
        self.at
    }

    /// On the first poll: the scheduling point and the trace event of the operation;
    /// `Pending` where the scheduler runs another task first (see `engine::poll_point`).
    pub(crate) fn start(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.started {
            return Poll::Ready(());
        }
        std::task::ready!(engine::poll_point(cx));
        self.started = true;
        execution::record_with(self.operation, self.at, || describe(self.timer.deadline(), self.requested));
        Poll::Ready(())
    }

    /// Polls the timer; when it is pending, the task waits on it unless `inner_waits` (the
    /// future a timeout bounds already told reports what it waits on).
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>, inner_waits: bool) -> Poll<()> {
        let poll = self.timer.poll(cx);
        match poll {
            Poll::Ready(()) => self.finished = true,
            Poll::Pending if !inner_waits => crate::engine::wait(self.wait_operation(), self.at, None),
            Poll::Pending => {}
        }
        poll
    }

    /// The operation completed without the timer (a timeout's value came first).
    pub(crate) fn finish(&mut self) {
        self.finished = true;
    }

    /// Moves the deadline; a pending operation is not finished any more.
    pub(crate) fn reset(&mut self, deadline: Duration) {
        self.timer.reset(deadline, true);
        self.requested = None;
        self.finished = false;
        if self.started {
            execution::record_with(self.operation, self.at, || format!("reset, {}", describe(deadline, None)));
        }
    }

    /// A task that sleeps forever is deadlocked: reports say so.
    fn wait_operation(&self) -> &'static str {
        match (self.timer.deadline() >= NEVER, self.operation) {
            (false, operation) => operation,
            (true, "time::timeout") => "time::timeout (never elapses)",
            (true, _) => "time::sleep (forever)",
        }
    }
}

impl Drop for TracedTimer {
    fn drop(&mut self) {
        if self.started && !self.finished {
            // Once an execution stops, the engine drops its tasks: that is not the user's cancellation.
            execution::with(|state| {
                if !state.stopping {
                    state.record(self.operation, self.at, Some(|| "cancelled".to_string()));
                }
            });
        }
    }
}

/// `50ms, until t=50ms`, `until t=2s` or `forever`, for the trace.
pub(crate) fn describe(deadline: Duration, requested: Option<Duration>) -> String {
    match requested {
        _ if deadline >= NEVER => "forever".into(),
        Some(duration) => format!("{}, until t={}", display(duration), display(deadline)),
        None => format!("until t={}", display(deadline)),
    }
}

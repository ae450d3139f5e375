//! The state of the one execution running on this thread.
//!
//! Shuttle runs every task of an execution on the thread that explores it, so a
//! thread-local is the execution's home: the facade, the scheduler wrapper and the
//! detectors all reach it from here. Outside an exploration there is none, and the
//! facade falls back to tokio (see `engine`).

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use crate::detect::Failure;
use crate::explore::config::Settings;
use crate::task::registry::TaskRegistry;
use crate::task::registry::{Holding, Resource, TaskId};
use crate::trace::{Trace, Transition};

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static CURRENT: RefCell<Option<Rc<Execution>>> = const { RefCell::new(None) };
}

/// One execution: its tasks, what they did and what went wrong.
pub(crate) struct Execution {
    state: RefCell<ExecutionState>,
}

/// A switch away from a task that could have gone on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Preemption {
    /// Its place in the schedule: the choice that preempted.
    pub(crate) decision: usize,
    /// The step it happened at, for the timeline.
    pub(crate) step: usize,
}

/// Why the scheduler ran the idle task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdleReason {
    /// Every other task was blocked.
    AllBlocked,
    /// The strategy chose to let time pass (`time = "any"`).
    LetTimePass,
}

/// The mutable part of an [`Execution`]; borrowed only for short, user-code-free sections.
#[derive(Default)]
pub(crate) struct ExecutionState {
    pub(crate) settings: Arc<Settings>,
    pub(crate) tasks: TaskRegistry,
    pub(crate) trace: Trace,
    pub(crate) findings: Vec<Failure>,
    /// Once set, the scheduler ends the execution at its next decision.
    pub(crate) stopping: bool,
    /// Scheduling decisions taken so far.
    pub(crate) steps: usize,
    /// The engine's id of the idle task (see `engine::shuttle::IdleTask`).
    pub(crate) idle_task: Option<usize>,
    /// The body has returned and waits for the other tasks to finish or block.
    pub(crate) winding_down: Option<Waker>,
    /// Set by the idle task once the wound-down body may finish.
    pub(crate) settled: bool,
    /// Timers fired since the body returned.
    pub(crate) wind_down_firings: usize,
    /// The choices of this execution, as the engine's task ids.
    pub(crate) schedule: Vec<usize>,
    /// Where a task that could go on was switched away from.
    pub(crate) preemptions: Vec<Preemption>,
    /// The random values the engine handed out (`select!` branch order), in order.
    pub(crate) randoms: Vec<u64>,
    /// The virtual clock and its timers.
    pub(crate) timers: crate::time::timers::Timers,
    /// Why the scheduler ran the idle task, when it did.
    pub(crate) idle_reason: Option<IdleReason>,
    /// Who holds which lock or semaphore permits, for deadlock reports.
    pub(crate) holdings: Vec<Holding>,
}

impl Execution {
    /// Starts an execution on this thread, replacing any finished one.
    pub(crate) fn begin(settings: Arc<Settings>) -> Rc<Execution> {
        let execution = Rc::new(Execution { state: RefCell::new(ExecutionState { settings, ..Default::default() }) });
        CURRENT.with(|current| *current.borrow_mut() = Some(execution.clone()));
        ACTIVE.with(|active| active.set(true));
        execution
    }

    /// Runs `f` on the state. Never call user code or the facade from `f`.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut ExecutionState) -> R) -> R {
        f(&mut self.state.borrow_mut())
    }

    /// The state, once the execution is over. Tasks torn down by the engine may still
    /// hold the execution; they find an empty state.
    pub(crate) fn into_state(self: Rc<Self>) -> Option<ExecutionState> {
        Some(self.state.take())
    }
}

/// Whether an execution is running on this thread.
#[inline]
pub(crate) fn is_active() -> bool {
    ACTIVE.with(Cell::get)
}

/// The execution running on this thread.
pub(crate) fn current() -> Option<Rc<Execution>> {
    if !is_active() {
        return None;
    }
    CURRENT.with(|current| current.borrow().clone())
}

/// Runs `f` on the state of the current execution, if there is one.
pub(crate) fn with<R>(f: impl FnOnce(&mut ExecutionState) -> R) -> Option<R> {
    if !is_active() {
        return None;
    }
    CURRENT.with(|current| {
        let current = current.borrow();
        current.as_ref().map(|execution| execution.with_state(f))
    })
}

/// Like [`with`], but gives up instead of panicking when the state is already
/// borrowed: for callbacks (`tracing`) that may run inside racewright's own code.
pub(crate) fn try_with<R>(f: impl FnOnce(&mut ExecutionState) -> R) -> Option<R> {
    if !is_active() {
        return None;
    }
    CURRENT.with(|current| {
        let current = current.try_borrow().ok()?;
        let execution = current.as_ref()?;
        let mut state = execution.state.try_borrow_mut().ok()?;
        Some(f(&mut state))
    })
}

/// Whether the current execution has been judged and is ending (never outside one).
pub(crate) fn is_stopping() -> bool {
    with(|state| state.stopping).unwrap_or(false)
}

/// Ends the thread's execution and hands it over, for the verdict.
pub(crate) fn finish() -> Option<Rc<Execution>> {
    ACTIVE.with(|active| active.set(false));
    CURRENT.with(|current| current.borrow_mut().take())
}

impl ExecutionState {
    /// The running task, in racewright's numbering.
    pub(crate) fn current_task(&self) -> TaskId {
        crate::engine::current_task_key().and_then(|key| self.tasks.by_engine_key(key)).unwrap_or(TaskId::BODY)
    }

    /// Counts a scheduling step. Past the step limit the execution fails with a
    /// `step_limit` finding, and this returns `false`.
    pub(crate) fn take_step(&mut self) -> bool {
        crate::explore::watchdog::beat();
        self.steps += 1;
        if self.steps > self.settings.max_steps {
            let finding = crate::detect::step_limit::detect(self, self.settings.max_steps);
            self.fail(finding);
            return false;
        }
        true
    }

    /// Records the task the scheduler chose (the engine's id), and whether choosing it
    /// preempted a task that could have gone on.
    pub(crate) fn record_choice(&mut self, key: usize, preempted: bool) {
        if preempted {
            self.preemptions.push(Preemption { decision: self.schedule.len(), step: self.steps });
        }
        self.schedule.push(key);
    }

    /// Records a finding; the first one found leads the report.
    pub(crate) fn report(&mut self, finding: Failure) {
        self.findings.push(finding);
    }

    /// Records a finding and ends the execution at the next scheduling decision.
    pub(crate) fn fail(&mut self, finding: Failure) {
        self.report(finding);
        self.stopping = true;
    }

    /// Records a facade operation of the running task in the trace.
    pub(crate) fn record(&mut self, operation: &'static str, at: &'static Location<'static>, detail: Option<String>) {
        let task = self.current_task();
        let step = self.steps;
        self.trace.push(step, task, operation, at, detail);
    }

    /// Records a change of `task`'s state, for the report's step-by-step view.
    pub(crate) fn change(&mut self, task: TaskId, what: Transition) {
        if self.settings.record_trace {
            let step = self.steps;
            self.trace.change(step, task, what);
        }
    }
}

/// Records a facade operation of the running task, when inside an execution.
#[inline]
pub(crate) fn record(operation: &'static str, at: &'static Location<'static>) {
    with(|state| {
        if state.settings.record_trace {
            state.record(operation, at, None);
        }
    });
}

/// Like [`record`], with the values that matter.
#[inline]
pub(crate) fn record_with(operation: &'static str, at: &'static Location<'static>, detail: impl FnOnce() -> String) {
    with(|state| {
        if state.settings.record_trace {
            state.record(operation, at, Some(detail()));
        }
    });
}

/// The running task now holds `resource`, taken at `at`.
pub(crate) fn acquired(resource: Resource, at: &'static Location<'static>) {
    with(|state| {
        let task = state.current_task();
        state.holdings.push(Holding { resource, task, at });
        state.change(task, Transition::Acquired(resource, at));
    });
}

/// A hold of `resource` taken at `at` was given back (by whichever task drops the guard).
pub(crate) fn released(resource: Resource, at: &'static Location<'static>) {
    with(|state| {
        let task = state.current_task();
        let matches = |holding: &Holding| holding.resource.same(&resource) && std::ptr::eq(holding.at, at);
        let position = state
            .holdings
            .iter()
            .position(|holding| matches(holding) && holding.task == task)
            .or_else(|| state.holdings.iter().position(matches));
        if let Some(position) = position {
            let holding = state.holdings.remove(position);
            state.change(holding.task, Transition::Released(resource, at));
        }
    });
}

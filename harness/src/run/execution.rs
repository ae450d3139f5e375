//! The state of the one execution running on this thread.
//!
//! Both engines run every task of an execution on the thread that explores it (loom's
//! threads are coroutines of one OS thread), so a thread-local is the execution's home:
//! the facade (through the engine's seam), the engines and the detectors all reach it
//! from here. Outside an exploration there is none, and the facade falls back to tokio.

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use super::queues::Queues;
use super::settings::Settings;
use crate::model::failure::Failure;
use crate::model::metrics::{Metrics, QueueNames};
use crate::model::tasks::{Hold, Resource, TaskId, TaskRegistry};
use crate::model::timers::Timers;
use crate::trace::{Trace, Transition};

thread_local! {
    /// The serial of the execution running on this thread, 0 outside one (serials start
    /// at 1).
    static SERIAL: Cell<u64> = const { Cell::new(0) };
    /// An execution of this thread used a primitive that another execution (or no
    /// execution) made: state shared across executions.
    static OUTLIVED: Cell<bool> = const { Cell::new(false) };
    static CURRENT: RefCell<Current> = const { RefCell::new(Current(None)) };
    /// The execution `CURRENT` holds, or null: the state is reached at every operation, and
    /// this is a plain load where `CURRENT` is a lazily registered thread-local and a borrow.
    static CURRENT_EXECUTION: Cell<*const Execution> = const { Cell::new(std::ptr::null()) };
    /// The thread's last finished execution, judged and emptied: the next one of the
    /// exploration (most likely alike) begins in it, neither allocating it anew nor growing
    /// its registry and schedule step by step.
    static SPARE: RefCell<Option<Rc<Execution>>> = const { RefCell::new(None) };
}

/// The execution running on this thread, owned.
struct Current(Option<Rc<Execution>>);

impl Drop for Current {
    fn drop(&mut self) {
        // The thread ends with an execution unfinished: nothing may reach it any more.
        let _ = CURRENT_EXECUTION.try_with(|execution| execution.set(std::ptr::null()));
    }
}

/// The serial of the next execution of the process.
static NEXT_SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

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
    /// Tells this execution apart from every other one of the process (never shown): what
    /// outlives it (a waker, a task-local value) knows which one it belongs to.
    pub(crate) serial: u64,
    // What the program did.
    pub(crate) tasks: TaskRegistry,
    pub(crate) trace: Trace,
    /// Who holds which lock or semaphore permits, for deadlock reports.
    pub(crate) holds: Vec<Hold>,
    /// The virtual clock and its timers.
    pub(crate) timers: Timers,
    /// The channels and `JoinSet`s: how long each grew, who fed it, what was lost.
    pub(crate) queues: Queues,
    /// The most tasks alive at once, the body included.
    pub(crate) most_tasks: usize,
    pub(crate) findings: Vec<Failure>,
    /// What the execution could not vouch for, though it is no failure (a tokio runtime
    /// of the test's own): a line each, for the report's notes.
    pub(crate) notes: Vec<&'static str>,
    /// Once set, the scheduler ends the execution at its next decision.
    pub(crate) stopping: bool,
    /// The body's life is over: the engine tears down what is left, nothing is judged.
    pub(crate) tearing_down: bool,
    /// How the scheduler drove the program.
    pub(crate) scheduler: SchedulerLog,
    /// The body has returned: the others are let run until each finishes or blocks.
    pub(crate) wind_down: WindDown,
    /// The engine's id of the running task (the engine hands it in at `begin`).
    task_key: Option<TaskKey>,
    /// The engine's id of the task the scheduler last switched to, which runs until the
    /// next decision: set by a scheduler that sees every switch (shuttle's supervisor),
    /// it spares asking the engine at every operation.
    pub(crate) running_key: Option<usize>,
    /// The heartbeat this execution beats, if a watchdog listens.
    pulse: Option<super::heartbeat::Link>,
}

/// The engine's own id of the running task, when it has one.
pub(crate) type TaskKey = fn() -> Option<usize>;

/// How the scheduler drove an execution: what a replay and shrinking need.
#[derive(Default)]
pub(crate) struct SchedulerLog {
    /// Scheduling decisions taken so far.
    pub(crate) steps: usize,
    /// The choices, by [`ExecutionState::choice_key`]: the same for the same task whatever
    /// the engine numbers it.
    pub(crate) choices: Vec<usize>,
    /// Where a task that could go on was switched away from.
    pub(crate) preemptions: Vec<Preemption>,
    /// The running task made a racewright call since it was switched to. A task switched
    /// to runs to its next call's scheduling point, which comes before the call: started,
    /// or resumed after a yield, a release or a preemption, it has done nothing racewright
    /// sees when it gets there, and switching away from it then preempts nothing.
    pub(crate) acted: bool,
    /// The random values the engine handed out (`select!` branch order), in order.
    pub(crate) randoms: Vec<u64>,
    /// The engine's id of the idle task, once spawned (see `engine/shuttle/idle.rs`).
    pub(crate) idle_task: Option<usize>,
    /// Why the scheduler ran the idle task, when it did.
    pub(crate) idle_reason: Option<IdleReason>,
    /// A switch away from the running task decided inside its poll, where user code may
    /// hold a lock racewright cannot see: carried out once the task is between polls (the
    /// engine's id of the task to run then).
    pub(crate) deferred: Option<usize>,
}

/// The body's wait, once it has returned, for the other tasks to finish or block.
#[derive(Default)]
pub(crate) struct WindDown {
    /// The body's waker, while it waits.
    pub(crate) body: Option<Waker>,
    /// Set once the wound-down body may finish.
    pub(crate) settled: bool,
    /// Timers fired since the body returned.
    pub(crate) timer_firings: usize,
}

impl Execution {
    /// Starts an execution on this thread, replacing any finished one. `task_key` tells
    /// the engine's id of the running task.
    pub(crate) fn begin(settings: Arc<Settings>, task_key: TaskKey) -> Rc<Execution> {
        let serial = NEXT_SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The spare, unless something of the finished execution still holds it (a task the
        // engine tore down); a new one the first time. Either is empty: only what tells this
        // execution apart is set.
        let execution = SPARE
            .take()
            .filter(|spare| Rc::strong_count(spare) == 1)
            .unwrap_or_else(|| Rc::new(Execution { state: RefCell::new(ExecutionState::default()) }));
        {
            let mut state = execution.state.borrow_mut();
            state.settings = settings;
            state.serial = serial;
            state.task_key = Some(task_key);
            state.pulse = super::heartbeat::link();
            if let Some(pulse) = &state.pulse {
                pulse.execution_began();
            }
        }
        CURRENT.with(|current| current.borrow_mut().0 = Some(execution.clone()));
        CURRENT_EXECUTION.set(Rc::as_ptr(&execution));
        SERIAL.set(serial);
        execution
    }

    /// Runs `f` on the state. Never call user code or the facade from `f`.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut ExecutionState) -> R) -> R {
        f(&mut self.state.borrow_mut())
    }

    /// The state, once the execution is over. Tasks torn down by the engine may still
    /// hold the execution; they find an empty state.
    pub(crate) fn into_state(self: Rc<Self>) -> Option<ExecutionState> {
        match Rc::try_unwrap(self) {
            Ok(execution) => Some(execution.state.into_inner()),
            Err(shared) => Some(shared.state.take()),
        }
    }
}

/// Whether an execution is running on this thread.
#[inline]
pub(crate) fn is_active() -> bool {
    SERIAL.get() != 0
}

/// The execution running on this thread.
pub(crate) fn current() -> Option<Rc<Execution>> {
    if !is_active() {
        return None;
    }
    CURRENT.with(|current| current.borrow().0.clone())
}

/// Runs `f` on the state of the current execution, if there is one.
pub(crate) fn with<R>(f: impl FnOnce(&mut ExecutionState) -> R) -> Option<R> {
    current_execution().map(|execution| execution.with_state(f))
}

/// The execution running on this thread, borrowed.
#[inline]
fn current_execution<'a>() -> Option<&'a Execution> {
    let execution = CURRENT_EXECUTION.get();
    // SAFETY: non-null only between `Execution::begin` and `finish`, while `CURRENT` owns
    // the execution; nothing borrowed from it lives past a call of `with` or `try_with`,
    // inside which `finish` is never called.
    (!execution.is_null()).then(|| unsafe { &*execution })
}

/// Like [`with`], but gives up instead of panicking when the state is already
/// borrowed: for callbacks (`tracing`) that may run inside racewright's own code.
pub(crate) fn try_with<R>(f: impl FnOnce(&mut ExecutionState) -> R) -> Option<R> {
    if !is_active() {
        return None;
    }
    let mut state = current_execution()?.state.try_borrow_mut().ok()?;
    Some(f(&mut state))
}

/// The serial of the execution running on this thread, 0 outside one: what a primitive
/// records when it is made.
#[inline]
pub(crate) fn serial() -> u64 {
    SERIAL.get()
}

/// A primitive made with `born` (its maker's [`serial`]) is used now: if it was made by
/// another execution, or outside any (a `static`, or one the scenario's closure captured),
/// executions share it, which [`take_outlived`] tells.
#[inline]
pub(crate) fn used_primitive_of(born: u64) {
    let now = SERIAL.get();
    if now != born && now != 0 {
        OUTLIVED.set(true);
    }
}

/// Whether an execution of this thread used a primitive made elsewhere since the last call.
pub(crate) fn take_outlived() -> bool {
    OUTLIVED.replace(false)
}

/// Whether the current execution has been judged and is ending (never outside one).
pub(crate) fn is_stopping() -> bool {
    with(|state| state.stopping).unwrap_or(false)
}

/// Ends the thread's execution and hands it over, for the verdict.
pub(crate) fn finish() -> Option<Rc<Execution>> {
    SERIAL.set(0);
    CURRENT_EXECUTION.set(std::ptr::null());
    let finished = CURRENT.with(|current| current.borrow_mut().0.take());
    if let Some(state) = finished.as_ref().and_then(|execution| execution.state.try_borrow().ok()) {
        if let Some(pulse) = &state.pulse {
            pulse.execution_ended();
        }
    }
    finished
}

/// Ends the thread's execution, as [`finish`], and has `judge` judge its state where it
/// lies; the execution is then emptied and kept for the thread's next one to begin in.
/// `None` if no execution was running.
pub(crate) fn finish_judged<R>(judge: impl FnOnce(&mut ExecutionState) -> R) -> Option<R> {
    let execution = finish()?;
    let verdict = execution.with_state(|state| {
        let verdict = judge(state);
        state.empty();
        verdict
    });
    SPARE.set(Some(execution));
    Some(verdict)
}

impl ExecutionState {
    /// Empties this finished, judged execution's state for the next execution of the
    /// thread to begin in, keeping the room of its registry and schedule.
    fn empty(&mut self) {
        let ExecutionState {
            settings: _,
            serial: _,
            tasks,
            trace,
            holds,
            timers,
            queues,
            most_tasks,
            findings,
            notes,
            stopping,
            tearing_down,
            scheduler,
            wind_down,
            task_key,
            running_key,
            pulse,
        } = self;
        tasks.clear();
        *trace = Trace::default();
        holds.clear();
        *timers = Timers::default();
        *queues = Queues::default();
        *most_tasks = 0;
        findings.clear();
        notes.clear();
        *stopping = false;
        *tearing_down = false;
        let SchedulerLog { steps, choices, preemptions, acted, randoms, idle_task, idle_reason, deferred } = scheduler;
        *steps = 0;
        choices.clear();
        preemptions.clear();
        *acted = false;
        randoms.clear();
        *idle_task = None;
        *idle_reason = None;
        *deferred = None;
        *wind_down = WindDown::default();
        *task_key = None;
        *running_key = None;
        // The exploration's heartbeat, not kept alive past it by a spare.
        *pulse = None;
    }

    /// The running task, in racewright's numbering.
    pub(crate) fn current_task(&self) -> TaskId {
        // Once the execution stops, the engine drops what is left with no decision.
        match self.running_key.filter(|_| !self.stopping && !self.tearing_down) {
            Some(key) => self.tasks.by_engine_key(key).unwrap_or(TaskId::BODY),
            None => self.task_on_engine(),
        }
    }

    /// The running task as the engine tells it, for what runs while the engine switches
    /// tasks (after the scheduler chose the next one, before it runs): `tracing`'s span
    /// exits and enters.
    pub(crate) fn task_on_engine(&self) -> TaskId {
        self.task_key.and_then(|key| key()).and_then(|key| self.tasks.by_engine_key(key)).unwrap_or(TaskId::BODY)
    }

    /// Counts a scheduling step; `false` once the execution is past its step limit.
    pub(crate) fn take_step(&mut self) -> bool {
        if let Some(pulse) = &self.pulse {
            pulse.beat();
        }
        self.scheduler.steps += 1;
        self.scheduler.steps <= self.settings.max_steps
    }

    /// The scheduler switched to the engine's task `engine_key`: it runs from here, and has
    /// done nothing yet.
    pub(crate) fn switched_to(&mut self, engine_key: usize) {
        self.running_key = Some(engine_key);
        self.scheduler.acted = false;
    }

    /// Records the task the scheduler chose (the engine's id), and whether choosing it
    /// preempted a task that could have gone on.
    pub(crate) fn record_choice(&mut self, engine_key: usize, preempted: bool) {
        let key = self.choice_key(engine_key);
        let log = &mut self.scheduler;
        if preempted {
            log.preemptions.push(Preemption { decision: log.choices.len(), step: log.steps });
        }
        log.choices.push(key);
        // A task that has not run yet is known once its first poll binds it (`running`).
        if let Some(task) = self.tasks.by_engine_key(engine_key) {
            self.running(task);
        }
    }

    /// The key a choice of the engine's task `engine_key` is recorded under (the schedule,
    /// replay tokens, shrinking): the body 0, the idle task 1, the `n`-th spawned task
    /// `n + 1`. Engines number tasks in spawn order, each spawn of the registry's one of
    /// the engine's, but shuttle's idle task is spawned only when a task is about to block
    /// with no other that can run: the tasks spawned after it are one further on.
    pub(crate) fn choice_key(&self, engine_key: usize) -> usize {
        let idle = self.scheduler.idle_task;
        if Some(engine_key) == idle {
            return 1;
        }
        let task = if idle.is_some_and(|idle| engine_key > idle) { engine_key - 1 } else { engine_key };
        if task == 0 { 0 } else { task + 1 }
    }

    /// The engine's task of choice key `key` (see [`Self::choice_key`]); `None` for the idle
    /// task while there is none.
    pub(crate) fn engine_key_of_choice(&self, key: usize) -> Option<usize> {
        let idle = self.scheduler.idle_task;
        match key {
            0 => Some(0),
            1 => idle,
            key => {
                let task = key - 1;
                Some(if idle.is_some_and(|idle| task >= idle) { task + 1 } else { task })
            }
        }
    }

    /// Tells the watchdog that `task` runs now, for when it never comes back.
    pub(crate) fn running(&self, task: TaskId) {
        if let Some(pulse) = &self.pulse {
            pulse.running(task.0, self.scheduler.steps);
        }
    }

    /// Tells the watchdog that `task` runs for the first time, and its name.
    pub(crate) fn first_run(&self, task: TaskId) {
        if let Some(pulse) = &self.pulse {
            pulse.first_run(task.0, self.scheduler.steps, || self.tasks.get(task).label());
        }
    }

    /// Records a finding; the first one found leads the report.
    pub(crate) fn report(&mut self, finding: Failure) {
        self.findings.push(finding);
    }

    /// Records a note for the report, once.
    pub(crate) fn note(&mut self, note: &'static str) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Records a finding and ends the execution at the next scheduling decision.
    pub(crate) fn fail(&mut self, finding: Failure) {
        self.report(finding);
        self.stopping = true;
    }

    /// Records a facade operation of the running task in the trace (when it keeps one),
    /// and tells the watchdog of it.
    pub(crate) fn record(
        &mut self,
        operation: &'static str,
        at: &'static Location<'static>,
        detail: Option<impl FnOnce() -> String>,
    ) {
        let task = self.current_task();
        let step = self.scheduler.steps;
        self.scheduler.acted = true;
        if let Some(pulse) = &self.pulse {
            pulse.called(task.0, step, operation, at, || self.tasks.get(task).label());
        }
        if self.settings.record_trace {
            self.trace.push(step, task, operation, at, detail.map(|detail| detail()));
        }
    }

    /// The virtual clock moved to `now`, firing the timers of `owners`: the trace's clock,
    /// and a note per timer when the execution keeps a trace.
    pub(crate) fn timers_fired(&mut self, now: std::time::Duration, owners: impl Iterator<Item = TaskId>) {
        self.trace.clock_moved(now);
        if self.settings.record_trace {
            let at = crate::model::timers::display(now);
            for owner in owners {
                self.trace.push_note(self.scheduler.steps, owner, "timer fired", format!("t={at}"));
            }
        }
    }

    /// A note of the engine's in the trace, `detail` made only when it keeps one.
    pub(crate) fn note_event(&mut self, task: TaskId, operation: &'static str, detail: impl FnOnce() -> String) {
        if self.settings.record_trace {
            self.trace.push_note(self.scheduler.steps, task, operation, detail());
        }
    }

    /// The metrics of the execution so far.
    pub(crate) fn metrics(&self) -> Metrics {
        let mut metrics = Metrics::default();
        self.fold_metrics_into(&mut metrics, &mut QueueNames::default());
        metrics
    }

    /// Folds the metrics of the execution into those of others (the longest and the most
    /// of both); names are made only for what `metrics` has not seen yet, as an
    /// exploration folds every execution's in: a queue's through `names`, which keeps them.
    pub(crate) fn fold_metrics_into(&self, metrics: &mut Metrics, names: &mut QueueNames) {
        metrics.most_tasks = metrics.most_tasks.max(self.most_tasks.max(1));
        for queue in &self.queues.queues {
            let resource = &queue.resource;
            let name = names.of(resource.kind, resource.created_at, || resource.to_string());
            match metrics.longest_queues.get_mut(name) {
                Some(longest) => *longest = (*longest).max(queue.longest),
                None => {
                    metrics.longest_queues.insert(name.to_string(), queue.longest);
                }
            }
        }
        for task in self.tasks.iter() {
            match metrics.longest_waits.get_mut(&task.id.0) {
                Some((_, longest)) => *longest = (*longest).max(task.longest_wait),
                None => {
                    metrics.longest_waits.insert(task.id.0, (task.display_name(), task.longest_wait));
                }
            }
        }
    }

    /// Records a change of `task`'s state, for the report's step-by-step view.
    pub(crate) fn change(&mut self, task: TaskId, what: Transition) {
        if matches!(what, Transition::Blocked(_)) {
            // Its spans exit as its poll returns: where it waits is where it stopped.
            self.tasks.get_mut(task).spans.waits();
        }
        if self.settings.record_trace {
            let step = self.scheduler.steps;
            self.trace.change(step, task, what);
        }
    }
}

/// Records a facade operation of the running task, when inside an execution.
#[inline]
pub(crate) fn record(operation: &'static str, at: &'static Location<'static>) {
    with(|state| state.record(operation, at, None::<fn() -> String>));
}

/// Like [`record`], with the values that matter.
#[inline]
pub(crate) fn record_with(operation: &'static str, at: &'static Location<'static>, detail: impl FnOnce() -> String) {
    with(|state| state.record(operation, at, Some(detail)));
}

/// The running task now holds `resource`, taken at `at`.
pub(crate) fn acquired(resource: Resource, at: &'static Location<'static>) {
    with(|state| {
        let task = state.current_task();
        state.holds.push(Hold { resource, task, at });
        state.change(task, Transition::Acquired(resource, at));
    });
}

/// A hold of `resource` taken at `at` was given back (by whichever task drops the guard).
pub(crate) fn released(resource: Resource, at: &'static Location<'static>) {
    with(|state| {
        let task = state.current_task();
        let matches = |hold: &Hold| hold.resource.same(&resource) && std::ptr::eq(hold.at, at);
        let position = state
            .holds
            .iter()
            .position(|hold| matches(hold) && hold.task == task)
            .or_else(|| state.holds.iter().position(matches));
        if let Some(position) = position {
            let hold = state.holds.remove(position);
            state.change(hold.task, Transition::Released(resource, at));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::ExecutionState;

    /// Choice keys name the same task whatever the engine numbered it: the body 0, the
    /// idle task 1, the `n`-th spawned task `n + 1`; and replays map them back.
    #[test]
    fn choice_keys_do_not_depend_on_when_the_idle_task_was_spawned() {
        let mut state = ExecutionState::default();
        // No idle task: the engine numbers the body 0 and the spawned tasks 1, 2, 3.
        assert_eq!([0, 1, 2, 3].map(|engine| state.choice_key(engine)), [0, 2, 3, 4]);
        assert_eq!(state.engine_key_of_choice(1), None);
        // The idle task spawned after the first two tasks: the engine's 3; the third task is 4.
        state.scheduler.idle_task = Some(3);
        assert_eq!([0, 1, 2, 3, 4].map(|engine| state.choice_key(engine)), [0, 2, 3, 1, 4]);
        // Spawned first (`time = "any"`), the engine's numbers are the choice keys.
        state.scheduler.idle_task = Some(1);
        assert_eq!([0, 1, 2, 3].map(|engine| state.choice_key(engine)), [0, 1, 2, 3]);
        for idle in [None, Some(1), Some(3), Some(5)] {
            state.scheduler.idle_task = idle;
            for engine in 0..8 {
                let key = state.choice_key(engine);
                assert_eq!(state.engine_key_of_choice(key), Some(engine), "engine {engine}, idle {idle:?}");
            }
        }
    }
}

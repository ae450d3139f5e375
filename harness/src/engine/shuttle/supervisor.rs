//! The supervisor: the scheduler between shuttle and the strategy.
//!
//! It hides the idle task from the strategy (offering it only as "let time pass" in
//! `time = "any"`), keeps yields fair, counts steps and preemptions, records the
//! schedule for replay, and ends every execution that racewright has judged.

use std::rc::Rc;
use std::time::Instant;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId as ShuttleTaskId};
use smallvec::SmallVec;

use crate::detect::{self, Moment};
use crate::engine::progress::Progress;
use crate::run::execution::{self, Execution, ExecutionState, IdleReason};
use crate::run::settings::{Flavor, SwitchPoints, TimeMode};

pub(super) struct Supervisor {
    pub(super) inner: Box<dyn Scheduler>,
    pub(super) progress: Rc<std::cell::RefCell<Progress>>,
    pub(super) iterations: usize,
    pub(super) deadline: Option<Instant>,
    pub(super) give_up: Option<super::GiveUp>,
    /// Whether the `tracing` subscriber is installed; while it is not, the exploration stops
    /// once a call site it wants is reached, as the executions since are unheard
    /// (`engine/subscriber.rs`).
    pub(super) tracing: super::Tracing,
    /// Whether the scheduler it wraps reads the execution's state as it chooses.
    pub(super) reads_state: StateReader,
}

/// Whether a scheduler reads the execution's state as it chooses: the supervisor holds the
/// state for the whole decision, except around the choice of one that reads it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum StateReader {
    /// A search's strategy: it sees only the tasks it is offered.
    No,
    /// A replay's, a shrink's or a stop's scheduler.
    Yes,
}

impl Scheduler for Supervisor {
    fn new_execution(&mut self) -> Option<Schedule> {
        let mut progress = self.progress.borrow_mut();
        if self.tracing == super::Tracing::WhenWanted && crate::engine::subscriber::wanted() {
            // Explored again from the start, with the subscriber: this execution is not judged.
            execution::finish();
            return None;
        }
        if execution::finish_judged(|state| progress.judge(state)) == Some(true) {
            return None;
        }
        if progress.executions >= self.iterations {
            return None;
        }
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            progress.out_of_time = true;
            return None;
        }
        if self.give_up.as_ref().is_some_and(|give_up| give_up()) {
            return None;
        }
        let schedule = self.inner.new_execution()?;
        progress.executions += 1;
        Some(schedule)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<ShuttleTaskId>,
        is_yielding: bool,
    ) -> Option<ShuttleTaskId> {
        // The idle task's spawn goes on with the task that spawns it: no decision.
        if super::idle::spawning() {
            return current;
        }
        let immediate = super::take_immediate();
        let decided = match self.reads_state {
            StateReader::No => {
                execution::with(|state| self.decide(&mut Held(state), runnable, current, is_yielding, immediate))
            }
            StateReader::Yes => execution::current()
                .map(|execution| self.decide(&mut Shared(&execution), runnable, current, is_yielding, immediate)),
        };
        // Before the execution's state exists only shuttle's main task can run: not a
        // choice, and not one the strategy or a replay should see.
        decided.unwrap_or_else(|| runnable.first().map(|task| task.id()))
    }

    fn next_u64(&mut self) -> u64 {
        let value = self.inner.next_u64();
        execution::with(|state| state.scheduler.randoms.push(value));
        value
    }
}

impl Supervisor {
    /// The decision of [`Scheduler::next_task`], with the execution's state through
    /// `state`.
    fn decide(
        &mut self,
        state: &mut impl StateAccess,
        runnable: &[&Task],
        current: Option<ShuttleTaskId>,
        is_yielding: bool,
        immediate: bool,
    ) -> Option<ShuttleTaskId> {
        let decision = state.with(|state| {
            if state.stopping {
                return None;
            }
            // Whether the running task is inside its poll matters only on one thread, or
            // where switches wait for a `Pending`.
            let settings = &state.settings;
            let in_poll = (settings.flavor == Flavor::CurrentThread || settings.switch_points == SwitchPoints::Pending)
                && current
                    .and_then(|current| state.tasks.by_engine_key(usize::from(current)))
                    .is_some_and(|task| state.tasks.get(task).in_poll);
            let deferred = state.scheduler.deferred;
            let acted = state.scheduler.acted;
            // Carrying out a switch decided before is no new step.
            if deferred.is_none() && !state.take_step() {
                detect::judge(state, Moment::StepLimit);
                return None;
            }
            let time_may_pass = state.settings.time == TimeMode::Any && state.timers.has_pending();
            // On one thread, a task runs until its future returns `Pending`.
            let keep_running = state.settings.flavor == Flavor::CurrentThread && in_poll;
            let may_defer = in_poll && state.settings.switch_points == SwitchPoints::Pending;
            Some(Decision {
                idle_task: state.scheduler.idle_task.map(ShuttleTaskId::from),
                time_may_pass,
                keep_running,
                may_defer,
                deferred: deferred.map(ShuttleTaskId::from),
                acted,
            })
        })?;
        let idle_task = decision.idle_task;
        let current = current.filter(|task| Some(*task) != idle_task);
        // One pass over the tasks shuttle offers (a decision is made at every step): the
        // idle task, how many of the others can run, and whether the running task is among
        // them. (Shuttle also offers a task blocked in a way that allows spurious wakeups;
        // racewright blocks none so, `park.rs`, and counts only tasks that can run.)
        let mut idle = None;
        let mut current_ready = None;
        let mut ready_count = 0;
        for task in runnable.iter().copied() {
            let id = task.id();
            if Some(id) == idle_task {
                idle = Some(task);
            } else if task.runnable() {
                ready_count += 1;
                if Some(id) == current {
                    current_ready = Some(id);
                }
            }
        }
        if let Some(deferred) = decision.deferred {
            // Inside the poll still: the switch waits until the task is out of it, or at a
            // point where a switch is safe.
            if decision.may_defer && !immediate && current_ready.is_some() {
                return current_ready;
            }
            let can_run = if Some(deferred) == idle_task {
                idle.is_some()
            } else {
                runnable.iter().any(|task| task.id() == deferred && task.runnable())
            };
            let stepped = state.with(|state| {
                state.scheduler.deferred = None;
                if can_run {
                    state.switched_to(usize::from(deferred));
                    return true;
                }
                // What was chosen cannot run any more: decide anew.
                let stepped = state.take_step();
                if !stepped {
                    detect::judge(state, Moment::StepLimit);
                }
                stepped
            });
            if can_run {
                return Some(deferred);
            }
            if !stepped {
                return None;
            }
        }
        if ready_count == 0 {
            let idle = idle?;
            state.with(|state| {
                state.scheduler.idle_reason = Some(IdleReason::AllBlocked);
                state.switched_to(usize::from(idle.id()));
            });
            return Some(idle.id());
        }
        let is_yielding = is_yielding && current.is_some();
        // Not a choice: the strategy and the schedule never see it.
        if let Some(current) = current_ready.filter(|_| decision.keep_running) {
            return Some(current);
        }
        // Fairness: a task that yields on purpose lets the others run first, whatever the
        // strategy; so a spin loop on `yield_now` reaches the step limit only if it truly spins.
        let skip_yielder = is_yielding && current_ready.is_some() && ready_count > 1;
        // Usually every task offered is a choice, handed on as it is; else the choices on the
        // stack (most programs have few tasks).
        let chosen_among: SmallVec<[&Task; 16]>;
        let ready = if idle.is_none() && ready_count == runnable.len() && !skip_yielder {
            runnable
        } else {
            let mut choices: SmallVec<[&Task; 16]> = runnable
                .iter()
                .copied()
                .filter(|task| {
                    let id = task.id();
                    Some(id) != idle_task && task.runnable() && !(skip_yielder && Some(id) == current)
                })
                .collect();
            // With `time = "any"`, letting time pass is one more choice of the strategy.
            if let Some(idle) = idle.filter(|_| decision.time_may_pass) {
                choices.push(idle);
            }
            chosen_among = choices;
            &chosen_among
        };
        let choice = self.inner.next_task(ready, current, is_yielding)?;
        // Switching away inside a poll, where user code may hold a lock racewright cannot
        // see (std's, parking_lot's), could block the only thread on it: the task goes on
        // to the next point where it returns `Pending` (`engine::poll_point`), and the
        // switch happens there, as tokio itself suspends a task only where it returns
        // `Pending`.
        let defer = decision.may_defer && !immediate && current_ready.is_some_and(|current| current != choice);
        state.with(|state| {
            if Some(choice) == idle_task {
                state.scheduler.idle_reason = Some(IdleReason::LetTimePass);
            }
            // Switching away from a task that could go on, and did not yield, is a preemption,
            // if the task did something since it was switched to (a switch deferred lets it go
            // on first).
            let preempted =
                !is_yielding && (decision.acted || defer) && current_ready.is_some_and(|current| current != choice);
            state.record_choice(usize::from(choice), preempted);
            if defer {
                state.scheduler.deferred = Some(usize::from(choice));
            }
            // A deferred switch leaves the running task running until it is carried out.
            let running = if defer { current_ready.unwrap_or(choice) } else { choice };
            if current == Some(running) {
                state.running_key = Some(usize::from(running));
            } else {
                state.switched_to(usize::from(running));
            }
        });
        if defer { current_ready } else { Some(choice) }
    }
}

/// How [`Supervisor::decide`] reaches the execution's state.
trait StateAccess {
    fn with<R>(&mut self, f: impl FnOnce(&mut ExecutionState) -> R) -> R;
}

/// The state, borrowed for the whole decision: the strategy does not read it.
struct Held<'a>(&'a mut ExecutionState);

impl StateAccess for Held<'_> {
    #[inline]
    fn with<R>(&mut self, f: impl FnOnce(&mut ExecutionState) -> R) -> R {
        f(self.0)
    }
}

/// The state, borrowed at each use: the strategy reads it in between (a replay's).
struct Shared<'a>(&'a Execution);

impl StateAccess for Shared<'_> {
    #[inline]
    fn with<R>(&mut self, f: impl FnOnce(&mut ExecutionState) -> R) -> R {
        self.0.with_state(f)
    }
}

/// What the supervisor reads of the execution before it decides.
struct Decision {
    idle_task: Option<ShuttleTaskId>,
    time_may_pass: bool,
    keep_running: bool,
    /// The running task is inside its future's poll, where a switch waits until it
    /// returns `Pending` (`SwitchPoints::Pending`).
    may_defer: bool,
    /// A switch decided inside the running task's poll, not carried out yet.
    deferred: Option<ShuttleTaskId>,
    /// The running task made a racewright call since it was switched to.
    acted: bool,
}

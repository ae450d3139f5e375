//! The shuttle engine: explores executions of a scenario with shuttle's `Runner`.
//!
//! Shuttle reports failures by panicking and printing; racewright wants them as data.
//! So shuttle never sees one: panics are caught by the facade's task wrappers,
//! deadlocks are noticed by the idle task below, the step limit by the
//! [`Supervisor`], and each of them ends the execution by making the scheduler
//! return `None`, which shuttle treats as a clean stop.

use std::rc::Rc;
use std::sync::Arc;

mod idle;
mod park;
mod supervisor;
mod task;

use shuttle::scheduler::Scheduler;

use std::future::Future;

use super::progress::Progress;
pub(crate) use super::{Body, Explored, Plan};
use crate::model::tasks::TaskId;
use crate::run::execution::{self, Execution};
use crate::run::settings::{Settings, SwitchPoints, TimeMode};
pub(crate) use park::{repark, unpark};
use supervisor::{StateReader, Supervisor};
pub(crate) use task::{Spawned, TaskKey};

/// Tells an exploration to start no new execution (another lane found a failure first).
pub(crate) type GiveUp = Rc<dyn Fn() -> bool>;

/// A scheduling point: shuttle may run another task here.
#[inline]
pub(crate) fn scheduling_point() {
    shuttle_engine::runtime::thread::switch();
}

thread_local! {
    /// The scheduling point being passed is one where switching at once is safe.
    static IMMEDIATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A scheduling point where shuttle switches at once, even inside a poll: for
/// racewright's own primitives that have no tokio counterpart (atomics, blocking locks),
/// where the code around them is racewright's to see.
#[inline]
pub(crate) fn preemption_point() {
    IMMEDIATE.with(|immediate| immediate.set(true));
    shuttle_engine::runtime::thread::switch();
    IMMEDIATE.with(|immediate| immediate.set(false));
}

/// Whether the exploration of this thread switches only where tasks return `Pending`.
#[inline]
pub(crate) fn switches_at_pending() -> bool {
    SWITCH_AT_PENDING.with(std::cell::Cell::get)
}

/// Whether the scheduling point being passed switches at once (read once, by the
/// supervisor).
fn take_immediate() -> bool {
    IMMEDIATE.with(|immediate| immediate.replace(false))
}

/// A scheduling point that does nothing once shuttle is stopping the execution.
#[inline]
pub(crate) fn release_point() {
    shuttle_engine::runtime::thread::switch_if_not_stopping();
}

/// Spawns a task on the execution's executor; shuttle makes this a scheduling point.
pub(crate) fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) -> Spawned {
    task::spawn(future)
}

/// Blocks the running task until it is unparked.
pub(crate) fn park() {
    idle::before_blocking();
    park::park();
}

/// Shuttle's id of the running task.
pub(crate) fn current_task_key() -> Option<usize> {
    shuttle::current::try_get_current_task().map(usize::from)
}

/// Runs one trivial exploration, so that shuttle installs its panic hook now
/// (see `super::panic_hook::install_hook`). Its `tracing` events go nowhere: a test's own
/// global subscriber is not given them.
pub(crate) fn initialise() {
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), || {
        shuttle::Runner::new(shuttle::scheduler::RoundRobinScheduler::new(1), shuttle_config()).run(|| {});
    });
}

fn shuttle_config() -> shuttle::Config {
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    // The supervisor counts steps itself, and turns the limit into a finding.
    config.max_steps = shuttle::MaxSteps::None;
    config.silence_warnings = true;
    config.stack_size = task::STACK_SIZE;
    config
}

thread_local! {
    static SETTINGS: std::cell::RefCell<Option<Arc<Settings>>> = const { std::cell::RefCell::new(None) };
    /// The exploration of this thread switches only where tasks return `Pending`.
    static SWITCH_AT_PENDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Explores `body` as `plan` says, choosing with `scheduler`, stopping at the first failing
/// execution, or when `give_up` says so.
pub(crate) fn explore(plan: Plan, scheduler: Box<dyn Scheduler>, give_up: Option<GiveUp>, body: Body) -> Explored {
    run(plan, scheduler, give_up, body, Tracing::Installed, StateReader::Yes).0
}

/// Explores as [`explore`] does, for a search of many executions, with a fresh scheduler
/// from `scheduler` (a strategy, which never reads the execution's state) each time it
/// starts: without the `tracing` subscriber while no call
/// site it wants has been reached and no global subscriber is set (`engine/subscriber.rs`),
/// and, if one is reached while it explores, again from the start with the subscriber, as
/// if it had been there all along (at most once: the subscriber stays wanted).
pub(crate) fn search(
    plan: &Plan,
    scheduler: &dyn Fn() -> Box<dyn Scheduler>,
    give_up: Option<GiveUp>,
    body: &Body,
) -> Explored {
    super::subscriber::register();
    if super::subscriber::may_wait() {
        let (explored, missed) =
            run(plan.clone(), scheduler(), give_up.clone(), body.clone(), Tracing::WhenWanted, StateReader::No);
        if !missed {
            return explored;
        }
    }
    run(plan.clone(), scheduler(), give_up, body.clone(), Tracing::Installed, StateReader::No).0
}

/// Whether an exploration installs the `tracing` subscriber.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tracing {
    Installed,
    /// Not while no call site it wants has been reached: the exploration stops once one
    /// has, its executions since then unheard.
    WhenWanted,
}

/// Explores as [`explore`] says; and whether a call site the subscriber wants was reached
/// while it explored without it (its findings then are not to be trusted).
fn run(
    plan: Plan,
    scheduler: Box<dyn Scheduler>,
    give_up: Option<GiveUp>,
    body: Body,
    tracing: Tracing,
    reads_state: StateReader,
) -> (Explored, bool) {
    super::panic_hook::install_hook(initialise);
    SETTINGS.with(|settings| *settings.borrow_mut() = Some(plan.settings.clone()));
    SWITCH_AT_PENDING.with(|at_pending| at_pending.set(plan.settings.switch_points == SwitchPoints::Pending));
    let progress = Rc::new(std::cell::RefCell::new(Progress::default()));
    let supervisor = Supervisor {
        inner: scheduler,
        progress: progress.clone(),
        iterations: plan.iterations,
        deadline: plan.deadline,
        give_up,
        tracing,
        reads_state,
    };
    let runner = shuttle::Runner::new(supervisor, shuttle_config());
    let _subscriber = (tracing == Tracing::Installed).then(super::subscriber::install);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runner.run(move || run_execution(&body));
    }));
    // A run that ended in a harness failure leaves its execution behind.
    let leftover = execution::finish();
    SETTINGS.with(|settings| settings.borrow_mut().take());
    SWITCH_AT_PENDING.with(|at_pending| at_pending.set(false));
    let mut progress = progress.take();
    let missed = tracing == Tracing::WhenWanted && super::subscriber::wanted();
    let harness_error = match result {
        Ok(()) => None,
        Err(payload) => {
            let caught = super::panic_hook::take_caught();
            let message = caught.map(|c| c.message).unwrap_or_else(|| super::panic_hook::message_of(payload.as_ref()));
            // An execution that failed and then broke the engine still has its findings.
            if progress.failed.is_none() {
                if let Some(state) = leftover.and_then(Execution::into_state).filter(|s| !s.findings.is_empty()) {
                    progress.failed = Some((progress.executions, state));
                    None
                } else {
                    Some(message)
                }
            } else {
                None
            }
        }
    };
    (progress.into_explored(harness_error), missed)
}

/// One execution, run on shuttle's main task.
fn run_execution(body: &Body) {
    let settings = SETTINGS.with(|settings| settings.borrow().clone()).expect("an exploration is running");
    let time_may_pass = settings.time == TimeMode::Any;
    park::reset();
    task::reset();
    let execution = Execution::begin(settings, current_task_key);
    execution.with_state(|state| state.tasks.bind_engine_key(0, TaskId::BODY));
    // A stopped execution's stack may be leaked, not unwound: hold nothing on it.
    drop(execution);
    if time_may_pass {
        // Spawned before the body runs, so that its spawn is no step (the body goes on).
        idle::spawn();
    }
    shuttle::future::block_on(task::Polled::body(super::body::supervise_body(body())));
}

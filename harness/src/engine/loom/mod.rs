//! The loom engine: exhaustive exploration of small scenarios, bounded by preemptions.
//!
//! Loom enumerates the interleavings that matter (DPOR) and models weak memory: an
//! atomic load may read any store the `Ordering`s allow. Each task runs as a loom thread
//! that drives its future (`task.rs`); the body runs on loom's main thread. Loom sees
//! dependencies between tasks only through loom objects, so every primitive's state lock
//! ([`StateLock`](super::StateLock)), every atomic ([`Atomic`](super::atomic::Atomic))
//! and every task's cancel flag is one while a loom execution runs.
//!
//! Loom reports failures by panicking, and some of its panics abort the process (a
//! second panic while unwinding, loom#291), so racewright judges executions itself:
//! a deadlock is noticed by the last task to block, before loom sees it; a finding ends
//! the execution by unwinding out of loom's `check` with a private payload, in a
//! teardown mode where no loom object is touched; what the other tasks' stacks hold is
//! leaked with them, never dropped. The pipeline runs the whole exploration in a child
//! process where it can (`explore/child.rs`), so that what still aborts takes only the child.

mod task;

pub(crate) use task::{fenced, sequentially_consistent, switching};

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt;

use super::body::supervise_body;
use super::{Body, Explored, Plan};
use super::{Engine, TaskFuture};
use crate::detect;
use crate::engine::progress::Progress;
use crate::model::tasks::TaskId;
use crate::run::execution::{self, Execution, ExecutionState};
use crate::run::settings::{Flavor, Settings, TimeMode};
pub(crate) use task::{LoomTask, LoomUnparker};

/// Tasks loom can run besides the body: its threads, less the main one.
pub(crate) const MAX_TASKS: usize = ::loom::MAX_THREADS - 1;

/// Called with the state of an execution loom is about to abort the process over, and
/// its number: the report written now is all the parent will get.
pub(crate) type LastWords = Box<dyn Fn(&ExecutionState, usize)>;

/// The payload that unwinds out of loom's `check` to end an exploration.
struct Stop;

/// The exploration running on this thread.
struct Search {
    settings: Arc<Settings>,
    iterations: usize,
    deadline: Option<Instant>,
    progress: Progress,
    limit: Option<String>,
    last_words: Option<LastWords>,
    /// An execution ran out of loom's branches.
    out_of_branches: bool,
}

/// The branches loom reserves room for in a search of this process. Loom reserves its
/// tables whole as a search starts (two of them, about 670 bytes a branch): for the step
/// limit's 100,000 by default, 67 MB mapped and unmapped at every search, some 40 us of a
/// short one. A search in this process begins with this many and, if an execution runs out
/// of them, searches again from the start with the step limit's (loom's search is
/// deterministic: it comes back to the same execution with room to go on). A loom child
/// reserves the step limit's at once: loom may abort its process over an execution, and a
/// second search would never happen.
const FIRST_BRANCHES: usize = 10_000;

thread_local! {
    static SEARCH: RefCell<Option<Search>> = const { RefCell::new(None) };
    /// The number of the running loom execution, which models belong to; 0 when none.
    static MODELLING: Cell<u64> = const { Cell::new(0) };
    /// Set while an execution unwinds: from then on nothing may touch a loom object.
    static TEARDOWN: Cell<bool> = const { Cell::new(false) };
    /// Numbers loom executions across explorations, so a model never outlives its own.
    static NEXT_EXECUTION: Cell<u64> = const { Cell::new(1) };
}

/// The running loom execution's number, while loom objects may be used.
pub(crate) fn modelling() -> Option<u64> {
    let execution = MODELLING.with(Cell::get);
    (execution != 0 && !TEARDOWN.with(Cell::get)).then_some(execution)
}

/// Why loom cannot explore executions with `settings`, if it cannot.
pub(crate) fn unexplorable(settings: &Settings) -> Option<&'static str> {
    if settings.time == TimeMode::Any {
        return Some("time = \"any\" lets the strategy choose when time passes, a choice loom cannot explore");
    }
    (settings.flavor == Flavor::CurrentThread).then_some(
        "flavor = \"current_thread\" runs each task until it returns Pending, and loom's search cannot be kept to \
         such schedules",
    )
}

/// Explores `body` exhaustively within `plan`'s bounds, stopping at the first failing execution.
/// `preemption_bound` is loom's; `last_words` writes the report of an execution loom is
/// about to abort the process over.
pub(crate) fn explore(plan: Plan, preemption_bound: usize, last_words: Option<LastWords>, body: Body) -> Explored {
    super::panic_hook::install_hook(super::shuttle::initialise);
    if let Some(why) = unexplorable(&plan.settings) {
        return Explored {
            limit: Some(format!("{why}; run this scenario on the shuttle engine")),
            ..Explored::default()
        };
    }
    // Loom's branches are finer than racewright's steps; a run past either is a step limit.
    let branches = plan.settings.max_steps.max(1_000);
    if last_words.is_none() && branches > FIRST_BRANCHES {
        let first = Plan { settings: plan.settings.clone(), ..plan };
        let (explored, out_of_branches) = search(first, preemption_bound, FIRST_BRANCHES, None, body.clone());
        if !out_of_branches {
            return explored;
        }
    }
    search(plan, preemption_bound, branches, last_words, body).0
}

/// One loom search with room for `max_branches` branches per execution; whether an
/// execution ran out of them.
fn search(
    plan: Plan,
    preemption_bound: usize,
    max_branches: usize,
    last_words: Option<LastWords>,
    body: Body,
) -> (Explored, bool) {
    let mut builder = ::loom::model::Builder::new();
    builder.max_threads = ::loom::MAX_THREADS;
    builder.max_branches = max_branches;
    builder.preemption_bound = Some(preemption_bound);
    // Loom checks these only every 20 000 executions: `run_execution` counts them itself.
    builder.max_permutations = None;
    builder.max_duration = None;
    builder.checkpoint_file = None;
    builder.location = false;
    builder.log = false;
    SEARCH.with(|run| {
        *run.borrow_mut() = Some(Search {
            settings: plan.settings.clone(),
            iterations: plan.iterations,
            deadline: plan.deadline,
            progress: Progress::default(),
            limit: None,
            last_words,
            out_of_branches: false,
        })
    });
    let _subscriber = crate::engine::subscriber::install();
    let checked = super::exploring_with(Engine::Loom, || {
        std::panic::catch_unwind(AssertUnwindSafe(|| builder.check(move || run_execution(&body))))
    });
    let leftover = execution::finish();
    MODELLING.with(|modelling| modelling.set(0));
    TEARDOWN.with(|teardown| teardown.set(false));
    let mut run = SEARCH.with(|run| run.borrow_mut().take()).expect("the exploration's state");
    if let Some(execution) = leftover {
        execution.with_state(|state| run.progress.judge(state));
    }
    let mut harness_error = None;
    if let Err(payload) = &checked {
        if !payload.is::<Stop>() && run.progress.failed.is_none() {
            let caught = super::panic_hook::take_caught();
            let message = caught.map(|c| c.message).unwrap_or_else(|| super::panic_hook::message_of(payload.as_ref()));
            harness_error = Some(format!("loom stopped with: {message}"));
        }
    }
    let exhaustive = checked.is_ok() && run.progress.failed.is_none() && run.limit.is_none();
    let out_of_branches = run.out_of_branches;
    (Explored { exhaustive, limit: run.limit, ..run.progress.into_explored(harness_error) }, out_of_branches)
}

impl Search {
    /// Whether another execution may start; if not, says why.
    fn may_start(&mut self) -> bool {
        if self.progress.failed.is_some() || self.limit.is_some() {
            return false;
        }
        if self.progress.executions >= self.iterations {
            self.limit = Some(format!(
                "loom was still exploring after {} executions, the `iterations` limit: raise it, or lower \
                 `preemption_bound`, to let it finish",
                self.iterations
            ));
            return false;
        }
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            self.progress.out_of_time = true;
            self.limit = Some(format!(
                "the time budget ended the exploration after {} executions, before loom had tried every \
                 interleaving",
                self.progress.executions
            ));
            return false;
        }
        self.progress.executions += 1;
        true
    }
}

/// One loom execution: the body on loom's main thread, each task on a thread of its own.
fn run_execution(body: &Body) {
    // Between executions nothing is on any stack yet: the cleanest place to stop.
    execution::finish_judged(|state| with_search(|run| run.progress.judge(state)));
    let settings = match with_search(|run| run.may_start().then(|| run.settings.clone())) {
        Some(settings) => settings,
        None => stop(),
    };
    let number = NEXT_EXECUTION.with(|next| next.replace(next.get() + 1));
    MODELLING.with(|modelling| modelling.set(number));
    TEARDOWN.with(|teardown| teardown.set(false));
    let execution = Execution::begin(settings, current_task_key);
    execution.with_state(|state| state.tasks.bind_engine_key(0, TaskId::BODY));
    drop(execution);
    task::begin_execution(number);
    task::run_body(supervise_body(body()).boxed_local());
    // The body has returned and been judged; the tasks still blocked are cancelled, as a
    // runtime shutting down would, so that loom sees every thread end.
    task::cancel_the_rest();
}

fn with_search<R>(f: impl FnOnce(&mut Search) -> R) -> R {
    SEARCH.with(|run| f(run.borrow_mut().as_mut().expect("a loom exploration is running")))
}

/// Ends the exploration here: unwinds out of loom's `check`, touching no loom object on
/// the way.
fn stop() -> ! {
    TEARDOWN.with(|teardown| teardown.set(true));
    std::panic::resume_unwind(Box::new(Stop))
}

/// Whether this thread's loom execution is unwinding to its end (teardown mode).
pub(crate) fn tearing_down() -> bool {
    TEARDOWN.with(Cell::get)
}

/// Ends the exploration if the execution has been judged.
fn stop_if_stopping() {
    if execution::is_stopping() {
        stop();
    }
}

/// Ends the exploration with a limit of racewright's loom engine, not a finding.
fn stop_at_limit(limit: String) -> ! {
    SEARCH.with(|run| {
        if let Some(run) = run.borrow_mut().as_mut() {
            run.limit.get_or_insert(limit);
        }
    });
    stop()
}

/// A scheduling point. Loom branches only where a task touches a loom object, and DPOR
/// tries the other order only where two tasks touch the same one; every facade
/// operation touches its primitive's state lock right after this, which is the branch
/// point that matters. Here racewright counts the step and ends a judged execution.
pub(crate) fn scheduling_point() {
    if TEARDOWN.with(Cell::get) {
        return;
    }
    stop_if_stopping();
    task::step(current_task_key().unwrap_or(0));
}

/// One of `n` alternatives (`select!`'s branch order); not explored on loom.
pub(crate) fn choose(n: usize) -> usize {
    task::choose(n)
}

/// Spawns `future` as a loom thread.
pub(crate) fn spawn(future: TaskFuture) -> LoomTask {
    task::spawn(future)
}

/// Racewright's key of the running task (the body is 0).
pub(crate) fn current_task_key() -> Option<usize> {
    Some(task::current_key())
}

/// Blocks the running task until its [`LoomUnparker`] is used.
pub(crate) fn park() {
    task::park();
}

/// The running task yields on purpose: it runs again only when no other task can.
pub(crate) fn request_yield() {
    task::request_yield();
}

/// The model mutex of a primitive's state lock.
pub(crate) struct ModelLock {
    mutex: ::loom::sync::Mutex<()>,
    execution: u64,
}

/// A locked [`ModelLock`].
pub(crate) type ModelGuard<'a> = ::loom::sync::MutexGuard<'a, ()>;

impl ModelLock {
    /// A model mutex for a primitive being created, if a loom execution runs.
    pub(crate) fn for_new_primitive() -> Option<ModelLock> {
        if super::current() != Engine::Loom {
            return None;
        }
        let execution = modelling()?;
        Some(ModelLock { mutex: ::loom::sync::Mutex::new(()), execution })
    }

    /// Locks the model mutex, if it belongs to the running execution (a primitive that
    /// outlived its execution is no longer modelled).
    pub(crate) fn lock(&self) -> Option<ModelGuard<'_>> {
        if modelling() != Some(self.execution) {
            return None;
        }
        Some(task::switching(|| self.mutex.lock()).unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

/// The model mutex of a primitive made by a `const fn`: one per loom execution that uses it,
/// made at its first use there. Each is leaked (a few bytes per execution), so that the
/// primitive can lend it out like its own.
pub(crate) struct LazyModelLock {
    current: std::sync::Mutex<Option<&'static ModelLock>>,
}

impl LazyModelLock {
    pub(crate) const fn new() -> Self {
        LazyModelLock { current: std::sync::Mutex::new(None) }
    }

    /// The model mutex of the running loom execution, if one runs.
    pub(crate) fn get(&self) -> Option<&'static ModelLock> {
        if super::current() != Engine::Loom {
            return None;
        }
        let execution = modelling()?;
        let mut current = self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match *current {
            Some(model) if model.execution == execution => Some(model),
            _ => {
                let model: &'static ModelLock =
                    Box::leak(Box::new(ModelLock { mutex: ::loom::sync::Mutex::new(()), execution }));
                *current = Some(model);
                Some(model)
            }
        }
    }
}

/// Whether a panic is loom's own: loom found something (a deadlock, an execution past its
/// branch limit, a leaked loom object) or failed. It becomes a finding of the execution,
/// and from here on the execution only unwinds.
pub(crate) fn claims_panic(info: &PanicHookInfo<'_>) -> bool {
    let from_loom = info.location().is_some_and(|location| {
        let file = location.file().replace('\\', "/");
        // Loom's own sources, as cargo unpacks them: `loom-<version>/src/...`.
        let inside_loom = file.split('/').any(|part| {
            part.strip_prefix("loom-").is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
        });
        inside_loom && (file.contains("/src/rt/") || file.ends_with("/src/model.rs"))
    });
    if !from_loom || TEARDOWN.with(Cell::get) {
        return from_loom;
    }
    TEARDOWN.with(|teardown| teardown.set(true));
    let message = super::panic_hook::message_of(info.payload());
    execution::try_with(|state| {
        let finding = detect::engine_verdicts::from_loom(state, &message);
        state.fail(finding);
        SEARCH.with(|run| {
            let mut run = run.borrow_mut();
            let Some(search) = run.as_mut() else { return };
            search.out_of_branches |= detect::engine_verdicts::out_of_branches(&message);
            if let Some(last_words) = &search.last_words {
                last_words(state, search.progress.executions);
            }
        });
    });
    true
}

/// Ends the exploration: the scenario spawned a task loom has no thread for.
fn too_many_tasks() -> ! {
    stop_at_limit(format!(
        "the scenario spawns more than {MAX_TASKS} tasks, and loom models at most {MAX_TASKS} besides the body \
         (loom::MAX_THREADS = {}); run it on the shuttle engine (engine = \"shuttle\"), or spawn fewer tasks",
        ::loom::MAX_THREADS
    ))
}

/// The execution number a waker or unparker belongs to.
fn running_execution() -> u64 {
    MODELLING.with(Cell::get)
}

/// A shared flag a task's driver reads before every poll, through a loom mutex so that
/// loom explores an abort before and after each poll.
pub(crate) struct CancelFlag(::loom::sync::Mutex<bool>);

impl CancelFlag {
    fn new() -> Arc<CancelFlag> {
        Arc::new(CancelFlag(::loom::sync::Mutex::new(false)))
    }

    fn is_set(&self) -> bool {
        *task::switching(|| self.0.lock()).unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set(&self) {
        *task::switching(|| self.0.lock()).unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
    }
}

//! The idle task: what happens when no task of the user's can run.
//!
//! Shuttle ends an execution as deadlocked the moment no task can run, so the idle task,
//! always runnable, must exist before that moment; but most executions never come to it,
//! and a shuttle task costs its spawn and a place in every decision. So it is spawned
//! only when a task is about to block (its poll returns, or it parks) while no other task
//! can run ([`before_blocking`]): from then on it is there for the rest of the execution.
//! With `time = "any"` letting time pass is a choice at every decision: it is spawned
//! when the execution begins.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::task::TaskId as ShuttleTaskId;

use crate::engine::body::when_nothing_can_run;
use crate::run::execution;

/// The task the scheduler runs only when every other task is blocked, or, with
/// `time = "any"`, when the strategy chooses to let time pass.
///
/// It is always runnable, so shuttle never declares a deadlock itself; when it runs
/// because nothing else can, it decides what that means: the clock moves to the next
/// timer, or the body is winding down and may finish, or the execution is deadlocked.
struct IdleTask;

impl Future for IdleTask {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A thread outside the execution may have asked something of a blocked task.
        crate::engine::foreign::carry_out();
        let wake = execution::with(when_nothing_can_run);
        for waker in wake.flatten().into_iter().flatten() {
            waker.wake();
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

thread_local! {
    /// The idle task is being spawned: the scheduling point of shuttle's spawn is no
    /// decision (the spawning task goes on).
    static SPAWNING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the decision being made is the idle task's spawn's (read by the supervisor).
pub(super) fn spawning() -> bool {
    SPAWNING.with(Cell::get)
}

/// Spawns the idle task and records its engine id.
pub(super) fn spawn() {
    /// Clears the flag however the spawn ends (a teardown unwinds through it).
    struct Spawning;
    impl Drop for Spawning {
        fn drop(&mut self) {
            SPAWNING.with(|spawning| spawning.set(false));
        }
    }
    SPAWNING.with(|spawning| spawning.set(true));
    let spawning = Spawning;
    let handle = shuttle::future::spawn(IdleTask);
    drop(spawning);
    // Shuttle numbers tasks in spawn order: the idle task is the newest.
    let key = ExecutionState::with(|state| task_count(state) - 1);
    execution::with(|state| {
        // Choice keys rely on it: every task before it is one of the registry's.
        debug_assert_eq!(key, state.tasks.iter().count(), "a shuttle task the registry does not know");
        state.scheduler.idle_task = Some(key);
    });
    // Detached: shuttle does not wait for it to finish.
    drop(handle);
}

/// Spawns the idle task if the running task, about to block, is the last that could
/// run: its poll is returning, or it parks in a blocking primitive.
///
/// In an execution that is stopping, the task passes a scheduling point instead, where the
/// execution ends: blocked, it could leave no task that can run, which shuttle would take
/// for a deadlock of its own (and say so on stderr).
pub(super) fn before_blocking() {
    let Some((spawned, stopping, tearing_down)) =
        execution::with(|state| (state.scheduler.idle_task.is_some(), state.stopping, state.tearing_down))
    else {
        return;
    };
    if tearing_down {
        return;
    }
    if stopping {
        shuttle_engine::runtime::thread::switch();
        return;
    }
    if spawned {
        return;
    }
    // Another task that can run is usually found among the first few.
    let alone = ExecutionState::try_with(|state| {
        let me = state.current().id();
        !(0..)
            .map_while(|id: usize| state.try_get(ShuttleTaskId::from(id)))
            .any(|task| task.id() != me && task.runnable())
    });
    if alone == Ok(true) {
        spawn();
    }
}

/// The tasks shuttle has made in this execution.
fn task_count(state: &ExecutionState) -> usize {
    (0..).find(|id: &usize| state.try_get(ShuttleTaskId::from(*id)).is_none()).expect("a task count")
}

//! Tasks as tokio's: ids, join errors, join sets, inside runs and on a tokio runtime.

use std::collections::HashSet;

use super::{Id, JoinSet, id, spawn, try_id};
use crate::sync::Notify;
use crate::{FailureKind, Scenario};

#[test]
fn ids_are_the_report_numbers_of_spawned_tasks_and_the_body_has_none() {
    crate::check(|| async {
        assert_eq!(try_id(), None);
        let first = spawn(async { id() });
        let second = spawn(async { try_id() });
        assert_eq!((format!("{}", first.id()), format!("{:?}", second.id())), ("1".into(), "Id(2)".into()));
        let first_id = first.id();
        assert_eq!(first.await.unwrap(), first_id);
        assert_eq!(second.await.unwrap().map(|id| id.to_string()), Some("2".into()));
    });
}

#[tokio::test]
async fn on_a_tokio_runtime_ids_are_tokios() {
    let handle = spawn(async { (id(), tokio::task::id()) });
    let id = handle.id();
    let (ours, tokios) = handle.await.unwrap();
    assert_eq!((ours, ours.to_string()), (id, tokios.to_string()));
    assert_eq!(try_id(), None, "a #[tokio::test] body is not a task");
}

#[test]
#[should_panic(expected = "Can't get a task id when not inside a task")]
fn id_outside_a_task_panics_as_tokios() {
    id();
}

#[test]
fn join_errors_read_as_tokios() {
    crate::check(|| async {
        let panicked = spawn(async { panic!("boom") }).await.unwrap_err();
        assert_eq!(panicked.to_string(), "task 1 panicked with message \"boom\"");
        assert_eq!(format!("{panicked:?}"), "JoinError::Panic(Id(1), \"boom\", ...)");
        assert_eq!(panicked.id().to_string(), "1");
        let odd = spawn(async { std::panic::panic_any(7_u8) }).await.unwrap_err();
        assert_eq!(
            (odd.to_string(), format!("{odd:?}")),
            ("task 2 panicked".into(), "JoinError::Panic(Id(2), ...)".into())
        );
        let never = std::sync::Arc::new(Notify::new());
        let stuck = spawn({
            let never = never.clone();
            async move { never.notified().await }
        });
        stuck.abort();
        let cancelled = stuck.await.unwrap_err();
        assert_eq!(
            (cancelled.to_string(), format!("{cancelled:?}")),
            ("task 3 was cancelled".into(), "JoinError::Cancelled(Id(3))".into())
        );
        assert_eq!(std::io::Error::from(cancelled).to_string(), "task was cancelled");
    });
}

#[tokio::test]
async fn join_errors_on_a_tokio_runtime_read_as_tokios() {
    let ours = spawn(async { panic!("boom") });
    let id = ours.id();
    let error = ours.await.unwrap_err();
    assert_eq!(error.to_string(), format!("task {id} panicked with message \"boom\""));
    let theirs = tokio::spawn(async { panic!("boom") }).await.unwrap_err();
    assert_eq!(
        format!("{theirs:?}").replace(&theirs.id().to_string(), "N"),
        format!("{error:?}").replace(&id.to_string(), "N")
    );
}

#[test]
fn a_join_set_tells_which_task_finished_and_collects_from_futures() {
    crate::check(|| async {
        let mut set: JoinSet<u32> = (1..=3).map(|n| async move { n * 10 }).collect();
        set.extend([async { 40 }]);
        let mut seen = HashSet::new();
        while let Some(result) = set.join_next_with_id().await {
            let (id, output): (Id, u32) = result.unwrap();
            assert_eq!(id.to_string(), (output / 10).to_string(), "tasks are numbered in spawn order");
            seen.insert(output);
        }
        assert_eq!(seen.len(), 4);
        let mut set = JoinSet::new();
        let abort = set.spawn(async {});
        while set.try_join_next_with_id().is_none() {
            crate::task::yield_now().await;
        }
        assert!(abort.is_finished());
    });
}

/// The abort handles' finished flag is made by the first of them: one made after the task
/// finished sees it finished, one made before sees it finish.
#[test]
fn an_abort_handle_tells_a_finish_from_before_it_was_made() {
    crate::check(|| async {
        let early = crate::spawn(async {});
        let before = early.abort_handle();
        let late = crate::spawn(async {});
        while !(early.is_finished() && late.is_finished()) {
            crate::task::yield_now().await;
        }
        assert!(before.is_finished());
        assert!(late.abort_handle().is_finished());
    });
}

#[test]
fn join_all_resumes_a_task_panic_in_the_task_that_awaits_it() {
    // A payload that is not a message is the user's panic all the same, not the engine's teardown.
    let report = Scenario::new("task::join_all_any_payload").iterations(20).run(|| async {
        let mut set = JoinSet::new();
        set.spawn(async { std::panic::panic_any(7_u8) });
        let error = spawn(set.join_all()).await.unwrap_err();
        assert!(error.is_panic());
        assert_eq!(error.into_panic().downcast_ref::<u8>(), Some(&7));
    });
    assert!(report.failure().is_none() && report.harness_error().is_none(), "{report}");

    let report = Scenario::new("task::join_all_in_a_task").iterations(20).run(|| async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("one of the set failed") });
        set.spawn(async {});
        let collector = spawn(set.join_all());
        let error = collector.await.unwrap_err();
        assert!(error.is_panic());
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
    });
    assert!(report.harness_error().is_none(), "{report}");
    let failure = report.failure().expect("the resumed panic fails the test");
    assert_eq!(failure.kind(), FailureKind::Panic, "{report}");
    assert!(failure.message().contains("one of the set failed"), "{report}");
}

#[test]
fn a_thread_outside_the_run_may_abort_a_task() {
    for engine in [crate::EngineChoice::Shuttle, crate::EngineChoice::Loom] {
        let report = Scenario::new("task::abort_from_a_thread").engine(engine).iterations(20).run(|| async {
            let never = std::sync::Arc::new(Notify::new());
            let stuck = spawn({
                let never = never.clone();
                async move { never.notified().await }
            });
            let abort = stuck.abort_handle();
            std::thread::spawn(move || abort.abort()).join().unwrap();
            assert!(stuck.await.unwrap_err().is_cancelled());
        });
        assert!(report.failure().is_none() && report.harness_error().is_none(), "{engine:?}: {report}");
    }
}

#[test]
fn a_blocking_task_blocks_alone_and_is_explored_with_the_others() {
    // The blocking task waits for the body in a blocking call; in every interleaving the
    // body goes on meanwhile and lets it through.
    crate::check(|| async {
        let gate = std::sync::Arc::new(crate::sync::Mutex::new(()));
        let held = gate.clone().lock_owned().await;
        let mut set = JoinSet::new();
        set.spawn_blocking({
            let gate = gate.clone();
            move || {
                drop(gate.blocking_lock());
                "through"
            }
        });
        let named = crate::task::Builder::new().name("named").spawn_blocking(|| 2).unwrap();
        assert_eq!(named.await.unwrap(), 2);
        drop(held);
        assert_eq!(set.join_next().await.unwrap().unwrap(), "through");
    });
}

#[test]
fn a_blocking_task_that_never_gets_its_lock_is_a_deadlock_that_names_the_lock() {
    let report = Scenario::new("task::blocking_deadlock").iterations(20).run(|| async {
        let gate = std::sync::Arc::new(crate::sync::Mutex::new(()));
        let _held = gate.lock().await;
        let blocked = crate::task::spawn_blocking({
            let gate = gate.clone();
            move || drop(gate.blocking_lock())
        });
        blocked.await.unwrap();
    });
    assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    assert!(report.to_string().contains("blocked in Mutex::lock on Mutex@"), "{report}");
}

#[test]
fn block_in_place_may_block_then_the_task_is_async_again() {
    crate::check(|| async {
        let mutex = crate::sync::Mutex::new(1);
        assert_eq!(crate::task::block_in_place(|| *mutex.blocking_lock()), 1);
        let again = spawn(async { crate::engine::in_async_context() });
        assert!(again.await.unwrap());
        assert!(crate::engine::in_async_context());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn on_a_tokio_runtime_blocking_work_runs_on_its_blocking_pool() {
    let mutex = std::sync::Arc::new(crate::sync::Mutex::new(1));
    let blocking = crate::task::spawn_blocking({
        let mutex = mutex.clone();
        move || *mutex.blocking_lock() + 1
    });
    assert_eq!(blocking.await.unwrap(), 2);
    assert_eq!(crate::task::block_in_place(|| 3), 3);
    let in_a_task = spawn(async move { drop(mutex.blocking_lock()) });
    assert!(in_a_task.await.unwrap_err().is_panic(), "blocking inside a tokio task panics, as tokio's");
}

/// Panics when dropped: a task holding one panics when it is cancelled.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("dropped");
    }
}

// After tokio's `test_abort_task_that_panics_on_drop_returned` (task_abort.rs): a task
// whose future panics as the abort drops it ends in that panic, not in a cancellation.
#[tokio::test]
async fn an_aborted_task_whose_drop_panics_ends_in_that_panic() {
    let (started, ready) = tokio::sync::oneshot::channel();
    let handle = spawn(async move {
        let _guard = PanicOnDrop;
        started.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    ready.await.unwrap();
    handle.abort();
    let error = handle.await.unwrap_err();
    assert!(error.is_panic(), "{error}");
    assert_eq!(error.panic_message(), Some("dropped"));
}

#[test]
fn inside_a_run_an_aborted_task_whose_drop_panics_ends_in_that_panic() {
    crate::check(|| async {
        let handle = spawn(async {
            let _guard = PanicOnDrop;
            std::future::pending::<()>().await;
        });
        crate::task::yield_now().await;
        handle.abort();
        assert!(handle.await.unwrap_err().is_panic());
    });
}

// After tokio's `task_id_output_destructor_handle_dropped_after_completion` (task_id.rs):
// an output nobody took is dropped, with the last handle, as the task that made it.
#[tokio::test]
async fn an_output_dropped_with_its_handle_is_dropped_as_its_task() {
    struct SendsIdOnDrop(Option<tokio::sync::oneshot::Sender<Option<Id>>>);
    impl Drop for SendsIdOnDrop {
        fn drop(&mut self) {
            let _ = self.0.take().unwrap().send(try_id());
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = spawn(async move { SendsIdOnDrop(Some(tx)) });
    let id = handle.id();
    while !handle.is_finished() {
        tokio::task::yield_now().await;
    }
    drop(handle);
    assert_eq!(rx.await.unwrap(), Some(id));
    assert_eq!(try_id(), None);
}

// After tokio's `try_join_next` (task_join_set.rs): not async, it cannot yield, so it takes
// every finished task whatever the budget.
#[tokio::test(flavor = "current_thread")]
async fn try_join_next_takes_every_finished_task_whatever_the_budget() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let finished = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..300 {
        let finished = finished.clone();
        set.spawn(async move {
            finished.fetch_add(1, Ordering::SeqCst);
        });
    }
    // One thread: a task counted has returned, and its result is in its handle.
    while finished.load(Ordering::SeqCst) < 300 {
        tokio::task::yield_now().await;
    }
    let mut joined = 0;
    while let Some(result) = set.try_join_next() {
        result.unwrap();
        joined += 1;
    }
    assert_eq!(joined, 300);
}

// After tokio's `replace_parent_waker_drops_outside_lock` (task_join_set.rs): the waker a
// poll replaces may run the task as it drops; it is dropped outside the handle's lock.
#[test]
fn a_replaced_waker_may_run_the_task_as_it_drops() {
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    struct DriveOnDrop(tokio::runtime::Runtime);
    impl Wake for DriveOnDrop {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for DriveOnDrop {
        fn drop(&mut self) {
            self.0.block_on(tokio::task::yield_now());
        }
    }

    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut set = JoinSet::new();
        set.spawn_on(async { 42 }, runtime.handle());
        let waker = Waker::from(Arc::new(DriveOnDrop(runtime)));
        assert!(set.poll_join_next(&mut Context::from_waker(&waker)).is_pending());
        drop(waker);
        assert!(set.poll_join_next(&mut Context::from_waker(Waker::noop())).is_pending());
        done.send(set.try_join_next().unwrap().unwrap()).unwrap();
    });
    let joined = finished.recv_timeout(std::time::Duration::from_secs(10));
    assert_eq!(joined.expect("deadlock: the replaced waker was dropped under the handle's lock"), 42);
}

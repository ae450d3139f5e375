//! Cancellation safety: does a future leave things right when it is dropped at an await?
//!
//! A future is cancelled when it is dropped before it completes: by a `select!` whose
//! other branch won, a `timeout` that elapsed, an aborted task. Whatever it did before its
//! last await stays done, and whatever it meant to do after never happens: a counter
//! incremented and never decremented, a connection taken from a pool and never given back.
//! [`at_every_await`] drives a future poll by poll and drops it at each of its await
//! points in turn, running your check of the invariants after each.

use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::panic::Location;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Wake, Waker};

use tokio_test::task::Spawn;

use crate::model::tasks::Wait;
use crate::run::execution;

/// Checks that a future is cancellation safe: drops it at every await point in turn and
/// checks the invariants after each drop.
///
/// Round after round, `make` makes a fresh future and racewright drives it with
/// tokio-test's mock task (`tokio_test::task::spawn`), dropping it:
/// before its first poll; then, for each await point `k` (the `k`-th poll that returned
/// `Pending`), right after that poll, and once it has been woken but before it is polled
/// again (the moment a wakeup, a lock or a permit handed to it can be lost). The last
/// round lets the future complete. After each round, `check` gets the [`Outcome`] (how the
/// future ended, with its output if it completed) and checks the invariants: with
/// assertions, or by returning `false` or `Err` (see [`Check`]). The first failed check
/// ends the rounds.
///
/// The mock task also catches a lost wakeup: a poll that returned `Pending` while
/// nothing kept its waker (`is_woken()` false and `waker_ref_count()` back to 1), which
/// nothing can ever wake.
///
/// Each round runs on the calling task, in the same execution: inside a
/// `#[racewright::test]` the other tasks run in between, in the interleavings the
/// exploration chooses. State shared by the rounds (a pool created outside `make`)
/// carries over from one round to the next. Await the result and call
/// [`CancelSafety::assert_safe`], or inspect it.
///
/// ```
/// use racewright::sync::Mutex;
/// use std::sync::Arc;
///
/// racewright::check(|| async {
///     let queue = Arc::new(Mutex::new(vec![1, 2, 3]));
///     // Pops an item, then awaits: if dropped there, the item is lost.
///     let take = || {
///         let queue = queue.clone();
///         async move {
///             let item = queue.lock().await.pop();
///             racewright::task::yield_now().await;
///             item
///         }
///     };
///     let verdict = racewright::cancel::at_every_await(take, |outcome| {
///         let queue = queue.clone();
///         async move {
///             let left = queue.lock().await.len();
///             let taken = usize::from(outcome.completed().flatten().is_some());
///             if left + taken != 3 {
///                 return Err(format!("{} items lost", 3 - left - taken));
///             }
///             queue.lock().await.resize(3, 0);
///             Ok(())
///         }
///     })
///     .await;
///     assert!(!verdict.is_safe());
///     assert!(verdict.to_string().contains("1 items lost"), "{verdict}");
/// });
/// ```
#[track_caller]
pub fn at_every_await<M, F, C, R>(make: M, check: C) -> impl Future<Output = CancelSafety>
where
    M: FnMut() -> F,
    F: IntoFuture,
    C: FnMut(Outcome<F::Output>) -> R,
    R: IntoFuture,
    R::Output: Check,
{
    run(make, check, Location::caller())
}

async fn run<M, F, C, R>(mut make: M, mut check: C, at: &'static Location<'static>) -> CancelSafety
where
    M: FnMut() -> F,
    F: IntoFuture,
    C: FnMut(Outcome<F::Output>) -> R,
    R: IntoFuture,
    R::Output: Check,
{
    let mut target = AwaitPoint { pending: 0, woken: false };
    let mut rounds = 0;
    loop {
        rounds += 1;
        let driven = drive(make().into_future(), target).await;
        // The round's future is gone: what it waited on, the task no longer does.
        crate::engine::set_wait(None);
        let (outcome, reached) = match driven {
            Driven::Cancelled => (Outcome::Cancelled(target), target.pending),
            Driven::Completed(output, awaits) => (Outcome::Completed(output), awaits),
            Driven::LostWakeup(point) => {
                let verdict =
                    CancelSafety { at, rounds, await_points: point.pending, broken: Some(Broken::lost(point)) };
                execution::record_with("cancel", at, || format!("lost wakeup at await {}", point.pending));
                return verdict;
            }
        };
        let completed = matches!(outcome, Outcome::Completed(_));
        execution::record_with("cancel", at, || match (completed, target) {
            (true, _) => format!("completed ({reached} awaits)"),
            (false, AwaitPoint { pending: 0, .. }) => "dropped before first poll".into(),
            (false, AwaitPoint { pending, woken }) => {
                format!("dropped at await {pending} ({})", if woken { "woken" } else { "pending" })
            }
        });
        let point = if completed { None } else { Some(target) };
        if let Err(message) = check(outcome).into_future().await.verdict() {
            let broken = Broken { point, problem: Problem::CheckFailed(message) };
            return CancelSafety { at, rounds, await_points: reached, broken: Some(broken) };
        }
        if completed {
            return CancelSafety { at, rounds, await_points: reached, broken: None };
        }
        target = target.next();
    }
}

/// How one round's future ended.
enum Driven<T> {
    Cancelled,
    /// With the number of its await points.
    Completed(T, usize),
    LostWakeup(AwaitPoint),
}

/// Polls `future` on tokio-test's mock task until it reaches `target` (then drops it) or
/// completes. The mock's waker is teed to the calling task's, so that a wakeup of the
/// future also wakes the caller.
async fn drive<F: Future>(future: F, target: AwaitPoint) -> Driven<F::Output> {
    let mut task = tokio_test::task::spawn(future);
    if target.pending == 0 {
        return Driven::Cancelled;
    }
    let caller = Arc::new(StdMutex::new(None));
    let mut pending = 0;
    loop {
        let (poll, wait) = poll_fn(|cx| Poll::Ready(poll_teed(&mut task, &caller, cx))).await;
        if let Poll::Ready(output) = poll {
            return Driven::Completed(output, pending);
        }
        pending += 1;
        if !task.is_woken() && task.waker_ref_count() <= 1 {
            return Driven::LostWakeup(AwaitPoint { pending, woken: false });
        }
        if pending == target.pending && !target.woken {
            return Driven::Cancelled;
        }
        wake_of(&task, &caller, wait).await;
        if pending == target.pending {
            return Driven::Cancelled;
        }
    }
}

/// One poll of the mock task, under a waker that wakes both the mock and the caller.
/// Returns the poll and what the future told reports it waits on.
fn poll_teed<F: Future>(
    task: &mut Spawn<F>,
    caller: &Arc<StdMutex<Option<Waker>>>,
    cx: &Context<'_>,
) -> (Poll<F::Output>, Option<Wait>) {
    *caller.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cx.waker().clone());
    let poll = task.enter(|mock, future| {
        let tee = Waker::from(Arc::new(Tee { mock: mock.waker().clone(), caller: caller.clone() }));
        future.poll(&mut Context::from_waker(&tee))
    });
    let wait = crate::engine::current_wait();
    (poll, wait)
}

/// Resolves once the mock task has been woken.
fn wake_of<'a, F>(
    task: &'a Spawn<F>,
    caller: &'a Arc<StdMutex<Option<Waker>>>,
    wait: Option<Wait>,
) -> impl Future<Output = ()> + 'a {
    poll_fn(move |cx| {
        // The caller's waker first, then the check: a wakeup in between is not missed.
        *caller.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cx.waker().clone());
        if task.is_woken() {
            return Poll::Ready(());
        }
        // Polled again without a wakeup: the wait the future told reports still holds.
        if wait.is_some() {
            crate::engine::set_wait(wait.clone());
        }
        Poll::Pending
    })
}

/// A waker for the future under test: wakes tokio-test's mock task (which counts it) and
/// the task that drives it.
struct Tee {
    mock: Waker,
    caller: Arc<StdMutex<Option<Waker>>>,
}

impl Wake for Tee {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.mock.wake_by_ref();
        let caller = self.caller.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        if let Some(caller) = caller {
            caller.wake();
        }
    }
}

/// What a check of [`at_every_await`] returns: `()` (its assertions are the check), a
/// `bool`, or a `Result` whose error says what broke.
pub trait Check {
    /// `Err` with what broke.
    fn verdict(self) -> Result<(), String>;
}

impl Check for () {
    fn verdict(self) -> Result<(), String> {
        Ok(())
    }
}

impl Check for bool {
    fn verdict(self) -> Result<(), String> {
        if self { Ok(()) } else { Err("the check returned false".into()) }
    }
}

impl<E: fmt::Display> Check for Result<(), E> {
    fn verdict(self) -> Result<(), String> {
        self.map_err(|error| error.to_string())
    }
}

/// Where a round dropped the future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwaitPoint {
    /// Polls that returned `Pending` before the drop.
    pending: usize,
    /// The drop came after the last of them was woken.
    woken: bool,
}

impl AwaitPoint {
    /// The polls that returned `Pending` before the drop: 0 if it was never polled,
    /// `k` at the `k`-th await point.
    pub fn pending_polls(&self) -> usize {
        self.pending
    }

    /// Whether the future had been woken (and not polled again) when it was dropped.
    pub fn was_woken(&self) -> bool {
        self.woken
    }

    /// The next round's point: each await point pending, then woken.
    fn next(self) -> AwaitPoint {
        match self {
            AwaitPoint { pending: 0, .. } | AwaitPoint { woken: true, .. } => {
                AwaitPoint { pending: self.pending + 1, woken: false }
            }
            AwaitPoint { woken: false, .. } => AwaitPoint { woken: true, ..self },
        }
    }
}

impl fmt::Display for AwaitPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AwaitPoint { pending: 0, .. } => f.write_str("before its first poll"),
            AwaitPoint { pending, woken: false } => write!(f, "at await point {pending} (pending)"),
            AwaitPoint { pending, woken: true } => write!(f, "at await point {pending} (woken, not polled again)"),
        }
    }
}

/// How the future of one round ended, as the check sees it.
#[derive(Debug)]
pub enum Outcome<T> {
    /// It was dropped there.
    Cancelled(AwaitPoint),
    /// It ran to completion (the last round), with this output.
    Completed(T),
}

impl<T> Outcome<T> {
    /// The output, if the future completed.
    pub fn completed(self) -> Option<T> {
        match self {
            Outcome::Completed(output) => Some(output),
            Outcome::Cancelled(_) => None,
        }
    }

    /// Whether the future was dropped before it completed.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Outcome::Cancelled(_))
    }
}

/// The verdict of [`at_every_await`].
#[derive(Clone, Debug)]
#[must_use = "call `assert_safe()`, or look at the verdict"]
pub struct CancelSafety {
    at: &'static Location<'static>,
    rounds: usize,
    /// Await points of the last round's future.
    await_points: usize,
    broken: Option<Broken>,
}

/// What broke, and where the future was dropped.
#[derive(Clone, Debug)]
pub struct Broken {
    /// `None` when the check failed after the future completed.
    point: Option<AwaitPoint>,
    problem: Problem,
}

#[derive(Clone, Debug)]
enum Problem {
    CheckFailed(String),
    LostWakeup,
}

impl Broken {
    fn lost(point: AwaitPoint) -> Broken {
        Broken { point: Some(point), problem: Problem::LostWakeup }
    }

    /// Where the future was dropped; `None` if the check failed after it completed.
    pub fn point(&self) -> Option<AwaitPoint> {
        self.point
    }

    /// Whether the future lost a wakeup (rather than failing the check).
    pub fn is_lost_wakeup(&self) -> bool {
        matches!(self.problem, Problem::LostWakeup)
    }
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.problem, self.point) {
            (Problem::LostWakeup, point) => write!(
                f,
                "lost wakeup: the future returned Pending {} and kept no waker (tokio-test's mock task was not woken \
                 and waker_ref_count() was back to 1): nothing can ever wake it",
                point.map(|point| point.to_string()).unwrap_or_default()
            ),
            (Problem::CheckFailed(message), Some(point)) => {
                write!(f, "dropped {point}, the check failed: {message}")
            }
            (Problem::CheckFailed(message), None) => write!(f, "completed, the check failed: {message}"),
        }
    }
}

impl CancelSafety {
    /// Whether every check held and no wakeup was lost.
    pub fn is_safe(&self) -> bool {
        self.broken.is_none()
    }

    /// What broke, if anything.
    pub fn broken(&self) -> Option<&Broken> {
        self.broken.as_ref()
    }

    /// Rounds run: futures made and dropped (or completed).
    pub fn rounds(&self) -> usize {
        self.rounds
    }

    /// Panics with the verdict unless the future is cancellation safe.
    #[track_caller]
    pub fn assert_safe(&self) {
        if !self.is_safe() {
            panic!("{self}");
        }
    }
}

impl fmt::Display for CancelSafety {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = crate::model::paths::location(self.at);
        match &self.broken {
            None => write!(
                f,
                "cancel safe ({at}): dropped before its first poll and at each of its {} await points, \
                 pending and woken; the check held every time ({} rounds)",
                self.await_points, self.rounds
            ),
            Some(broken) => write!(f, "not cancel safe ({at}), round {}: {broken}", self.rounds),
        }
    }
}

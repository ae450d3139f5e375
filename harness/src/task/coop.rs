//! `task::coop`: tokio's cooperative scheduling budget.
//!
//! A task may complete 128 operations of racewright's primitives (receives, sends, locks,
//! sleeps, joins...) per poll; the next one returns `Pending`, waking the task at once, so
//! that a task whose operations are always ready still lets the others run. Inside a run
//! that forced yield is a fairness hint, as `yield_now` is: a loop on an always-ready
//! `watch::Receiver::changed` yields to the others instead of spinning to the step limit.
//! Outside a run the budget is tokio's own.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::engine;

/// Takes one unit of the task's budget, yielding first if it is spent, as
/// `tokio::task::coop::consume_budget`: for loops of work that never awaits anything that
/// would yield.
pub async fn consume_budget() {
    std::future::poll_fn(|cx| engine::poll_proceed(cx).map(|proceed| proceed.made_progress())).await;
}

/// Whether the running task has budget left, as `tokio::task::coop::has_budget_remaining`.
pub fn has_budget_remaining() -> bool {
    engine::has_budget_remaining()
}

/// Takes a unit of budget for a hand-written operation, as `tokio::task::coop::poll_proceed`:
/// call [`RestoreOnPending::made_progress`] when the operation completes; otherwise the
/// unit comes back when the guard is dropped. `Pending` when the budget is spent.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    engine::poll_proceed(cx).map(RestoreOnPending)
}

/// A unit of budget taken by [`poll_proceed`], as tokio's.
#[must_use]
pub struct RestoreOnPending(engine::Proceed);

impl RestoreOnPending {
    /// The operation completed: the unit stays spent.
    pub fn made_progress(&self) {
        self.0.made_progress();
    }
}

impl fmt::Debug for RestoreOnPending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestoreOnPending").finish_non_exhaustive()
    }
}

/// Makes `fut` take a unit of budget each time it completes, as `tokio::task::coop::cooperative`.
pub fn cooperative<F: Future>(fut: F) -> Coop<F> {
    Coop { inner: engine::cooperative(fut) }
}

/// The future of [`cooperative`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Coop<F> {
    /// Structurally pinned.
    inner: engine::coop::Cooperative<F>,
}

impl<F: Future> Future for Coop<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: `Coop` never moves it and has no `Drop`.
        unsafe { self.map_unchecked_mut(|coop| &mut coop.inner) }.poll(cx)
    }
}

/// Runs `inner` with no budget limit, as `tokio::task::unconstrained`: it never yields
/// for the budget's sake (and may starve the other tasks, as in tokio).
pub fn unconstrained<F: Future>(inner: F) -> Unconstrained<F> {
    Unconstrained { inner: tokio::task::unconstrained(Lifted { inner }) }
}

/// The future of [`unconstrained`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Unconstrained<F> {
    /// tokio's wrapper lifts tokio's budget (outside a run); `Lifted`, racewright's.
    inner: tokio::task::Unconstrained<Lifted<F>>,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: `Unconstrained` never moves it and has no `Drop`.
        unsafe { self.map_unchecked_mut(|unconstrained| &mut unconstrained.inner) }.poll(cx)
    }
}

impl<F> fmt::Debug for Unconstrained<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unconstrained").finish_non_exhaustive()
    }
}

/// Polls `inner` with the running task's budget lifted, inside a run.
struct Lifted<F> {
    /// Structurally pinned.
    inner: F,
}

impl<F: Future> Future for Lifted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: `Lifted` never moves it and has no `Drop`.
        let inner = unsafe { self.map_unchecked_mut(|lifted| &mut lifted.inner) };
        engine::coop::unconstrained(|| inner.poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{consume_budget, has_budget_remaining, unconstrained};
    use crate::Scenario;
    use crate::sync::{mpsc, watch};

    #[test]
    fn the_129th_ready_operation_of_a_poll_yields() {
        crate::check(|| async {
            let (tx, mut rx) = mpsc::unbounded_channel();
            for n in 0..200 {
                tx.send(n).unwrap();
            }
            let polls = Arc::new(AtomicUsize::new(0));
            let counted = {
                let polls = polls.clone();
                let mut received = 0;
                std::future::poll_fn(move |cx| {
                    polls.fetch_add(1, Ordering::SeqCst);
                    while received < 200 {
                        match rx.poll_recv(cx) {
                            std::task::Poll::Ready(_) => received += 1,
                            std::task::Poll::Pending => return std::task::Poll::Pending,
                        }
                    }
                    std::task::Poll::Ready(received)
                })
            };
            // One poll could take the 200 values at once; the budget stops it at 128.
            assert_eq!(crate::spawn(counted).await.unwrap(), 200);
            assert_eq!(polls.load(Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn unconstrained_futures_never_yield_for_the_budget() {
        crate::check(|| async {
            crate::spawn(unconstrained(async {
                for _ in 0..300 {
                    consume_budget().await;
                }
                assert!(has_budget_remaining());
            }))
            .await
            .unwrap();
            for _ in 0..127 {
                consume_budget().await;
            }
        });
    }

    /// Polls `future` to its end on a task of its own; returns how many polls it took.
    async fn polls_to_finish(future: impl std::future::Future<Output = ()> + Send + 'static) -> usize {
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = {
            let polls = polls.clone();
            let mut future = Box::pin(future);
            std::future::poll_fn(move |cx| {
                polls.fetch_add(1, Ordering::SeqCst);
                future.as_mut().poll(cx)
            })
        };
        crate::spawn(counted).await.unwrap();
        polls.load(Ordering::SeqCst)
    }

    // A loop on an always-ready `changed()` (the sender is gone, so it fails at once): tokio
    // makes it yield every 128 receives, a fairness hint for the strategies here.
    #[test]
    fn an_always_ready_watch_loop_yields_every_128_operations() {
        let report = Scenario::new("coop::watch_loop").iterations(5).run(|| async {
            let (tx, rx) = watch::channel(0);
            drop(tx);
            let polls = polls_to_finish(async move {
                let mut rx = rx;
                for _ in 0..300 {
                    assert!(rx.changed().await.is_err());
                }
                let _ = rx.wait_for(|_| false).await;
            })
            .await;
            assert_eq!(polls, 3, "300 ready receives take 3 polls: 128, 128, 44");
            assert_eq!(polls_to_finish(unconstrained(async { consume_budget().await })).await, 1);
        });
        assert!(report.failure().is_none(), "{report}");
        let trace = Scenario::new("coop::trace").iterations(1).run(|| async {
            for _ in 0..129 {
                consume_budget().await;
            }
            assert_eq!(1, 2, "show the trace");
        });
        assert!(trace.to_string().contains("coop budget spent: yields"), "{trace}");
    }

    #[tokio::test]
    async fn outside_a_run_the_budget_is_tokios() {
        assert!(has_budget_remaining());
        for _ in 0..128 {
            consume_budget().await;
        }
        unconstrained(async { consume_budget().await }).await;
    }
}

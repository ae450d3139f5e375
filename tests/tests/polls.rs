//! A task's future is polled again only when woken after its last poll began, as tokio's
//! executor does: a wake that let an earlier await finish is spent by the poll that saw it,
//! and does not make the task's next `Pending` a poll for nothing (a scheduling decision
//! the strategy would waste, and a rescue of a future that returned `Pending` with no
//! waker kept).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use racewright::Scenario;
use racewright::sync::oneshot;

/// Counts the polls of the future it wraps; at its end, more than two (`Pending` once, then
/// `Ready` once woken) is a poll nobody asked for.
struct NoStrayPoll<F> {
    inner: F,
    polls: usize,
}

impl<F: Future + Unpin> Future for NoStrayPoll<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls += 1;
        let poll = Pin::new(&mut self.inner).poll(cx);
        if poll.is_ready() {
            assert!(self.polls <= 2, "polled {} times, woken once", self.polls);
        }
        poll
    }
}

/// Awaits a task that finishes after the await began (its end wakes the awaiting task),
/// then a message sent by another task: that second await is polled at most twice.
async fn join_then_receive() {
    let (tx, rx) = oneshot::channel();
    // On one thread the awaiting task runs until it returns `Pending`, so this await waits
    // for the task and is woken by its end.
    racewright::spawn(async {}).await.unwrap();
    let sender = racewright::spawn(async move { tx.send(1).unwrap() });
    assert_eq!(NoStrayPoll { inner: rx, polls: 0 }.await, Ok(1));
    sender.await.unwrap();
}

#[test]
fn the_body_is_not_polled_for_a_wake_it_already_saw() {
    let report = Scenario::new("polls::body").iterations(300).threads(1).run(join_then_receive);
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_spawned_task_is_not_polled_for_a_wake_it_already_saw() {
    let report = Scenario::new("polls::spawned").iterations(300).threads(1).run(|| async {
        racewright::spawn(join_then_receive()).await.unwrap();
    });
    assert!(report.failure().is_none(), "{report}");
}

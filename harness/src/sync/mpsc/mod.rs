//! `mpsc`: multi-producer, single-consumer channels with tokio's API, whose every send and
//! receive is explored.
//!
//! A channel is closed for the receiver once every sender is dropped (after the values
//! already sent are received: `recv` then returns `None`), and for the senders once the
//! receiver is dropped or calls `close` (sends then fail and give the value back).
//!
//! ```
//! # racewright::check(|| async {
//! use racewright::sync::mpsc;
//!
//! let (tx, mut rx) = mpsc::channel(1);
//! let producer = racewright::spawn(async move {
//!     for n in 0..3 {
//!         tx.send(n).await.unwrap();
//!     }
//!     // Dropping `tx` here ends the consumer's loop.
//! });
//! let mut received = Vec::new();
//! while let Some(n) = rx.recv().await {
//!     received.push(n);
//! }
//! assert_eq!(received, [0, 1, 2]);
//! producer.await.unwrap();
//! # });
//! ```

mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender, channel};
pub use unbounded::{UnboundedReceiver, UnboundedSender, WeakUnboundedSender, unbounded_channel};

#[cfg(test)]
mod tests {
    use std::future::Future;

    use tokio_test::{assert_pending, assert_ready, assert_ready_eq, task};

    use super::error::{SendError, TryRecvError, TrySendError};
    use super::{channel, unbounded_channel};
    use crate::{FailureKind, Scenario};

    #[test]
    fn a_full_channel_makes_senders_wait_in_order() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
        assert_eq!(tx.capacity(), 0);
        let mut second = task::spawn(tx.send(2));
        let mut third = task::spawn(tx.send(3));
        assert_pending!(second.poll());
        assert_pending!(third.poll());
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(second.is_woken());
        assert!(!third.is_woken());
        assert_ready_eq!(second.poll(), Ok(()));
        assert_pending!(third.poll());
        assert_ready_eq!(task::spawn(rx.recv()).poll(), Some(2));
        assert_ready_eq!(third.poll(), Ok(()));
        assert_eq!(rx.try_recv(), Ok(3));
        assert_eq!(rx.max_capacity(), 1);
    }

    #[test]
    fn the_receiver_drains_then_sees_the_senders_gone() {
        let (tx, mut rx) = channel(4);
        let tx2 = tx.clone();
        assert!(tx.same_channel(&tx2));
        tx.try_send("a").unwrap();
        drop(tx);
        let mut recv = task::spawn(rx.recv());
        assert_ready_eq!(recv.poll(), Some("a"));
        drop(recv);
        let mut recv = task::spawn(rx.recv());
        assert_pending!(recv.poll());
        drop(tx2);
        assert!(recv.is_woken());
        assert_ready_eq!(recv.poll(), None);
        drop(recv);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert!(rx.is_closed());
    }

    #[test]
    fn close_fails_waiting_and_later_sends_but_keeps_the_queue() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        let mut waiting = task::spawn(tx.send(2));
        assert_pending!(waiting.poll());
        rx.close();
        assert!(waiting.is_woken());
        assert_ready_eq!(waiting.poll(), Err(SendError(2)));
        assert!(tx.is_closed());
        assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
        assert_eq!(rx.len(), 1);
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_ready_eq!(task::spawn(rx.recv()).poll(), None);
    }

    #[test]
    fn dropping_the_receiver_completes_closed() {
        let (tx, rx) = channel::<u8>(1);
        let mut closed = task::spawn(tx.closed());
        assert_pending!(closed.poll());
        drop(rx);
        assert!(closed.is_woken());
        assert_ready!(closed.poll());
        assert_ready_eq!(task::spawn(tx.send(1)).poll(), Err(SendError(1)));
    }

    #[test]
    fn a_cancelled_send_gives_up_its_place() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        let mut waiting = task::spawn(tx.send(2));
        assert_pending!(waiting.poll());
        drop(waiting);
        assert_eq!(rx.try_recv(), Ok(1));
        tx.try_send(3).unwrap();
        assert_eq!(rx.try_recv(), Ok(3));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn recv_many_takes_what_is_there_up_to_the_limit() {
        let (tx, mut rx) = unbounded_channel();
        for n in 0..3 {
            tx.send(n).unwrap();
        }
        let mut buffer = Vec::new();
        assert_ready_eq!(task::spawn(rx.recv_many(&mut buffer, 2)).poll(), 2);
        assert_ready_eq!(task::spawn(rx.recv_many(&mut buffer, 0)).poll(), 0);
        drop(tx);
        assert_ready_eq!(task::spawn(rx.recv_many(&mut buffer, 5)).poll(), 1);
        assert_ready_eq!(task::spawn(rx.recv_many(&mut buffer, 5)).poll(), 0);
        assert_eq!(buffer, [0, 1, 2]);
    }

    #[test]
    fn unbounded_sends_never_wait_and_fail_once_closed() {
        let (tx, mut rx) = unbounded_channel();
        let mut recv = task::spawn(rx.recv());
        assert_pending!(recv.poll());
        tx.send(1).unwrap();
        assert!(recv.is_woken());
        assert_ready_eq!(recv.poll(), Some(1));
        drop(recv);
        assert!(rx.is_empty());
        rx.close();
        assert!(tx.is_closed());
        assert_eq!(tx.send(2), Err(SendError(2)));
        drop(rx);
        assert_ready!(task::spawn(tx.closed()).poll());
    }

    // After tokio's `tests/sync_mpsc.rs` (`recv_close_gets_none_reserved`): closing the
    // channel fails the senders still waiting, but a slot reserved before still sends.
    #[test]
    fn after_close_a_reserved_slot_still_sends_and_recv_waits_for_it() {
        let (tx, mut rx) = channel::<u32>(1);
        let other = tx.clone();
        let permit = tx.try_reserve().unwrap();
        let mut waiting = task::spawn(other.reserve());
        assert_pending!(waiting.poll());
        rx.close();
        assert!(waiting.is_woken());
        assert!(assert_ready!(waiting.poll()).is_err());
        drop(waiting);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "the reserved slot may still send");
        let mut recv = task::spawn(rx.recv());
        assert_pending!(recv.poll());
        permit.send(7);
        assert!(recv.is_woken());
        assert_ready_eq!(recv.poll(), Some(7));
        drop(recv);
        assert_ready_eq!(task::spawn(rx.recv()).poll(), None);
    }

    #[test]
    fn after_close_dropping_the_reserved_slot_ends_the_receiver() {
        let (tx, mut rx) = channel::<u32>(2);
        let owned = tx.clone().try_reserve_owned().unwrap();
        rx.close();
        let mut recv = task::spawn(rx.recv());
        assert_pending!(recv.poll());
        let tx_back = owned.release();
        assert!(tx_back.same_channel(&tx));
        assert!(recv.is_woken());
        assert_ready_eq!(recv.poll(), None);
        drop(recv);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }

    // After tokio's `{failed,cancelled}_reserve{,_many}_wakes_closed_receiver`: a closed
    // channel's receiver waits while any slot is reserved (or assigned to a queued
    // reservation), and is woken once the last one comes back, however it comes back.
    #[test]
    fn a_closed_receiver_is_woken_when_the_last_reserved_slot_comes_back() {
        for cancel in [false, true] {
            let (tx, mut rx) = channel::<()>(2);
            let permit = tx.try_reserve().unwrap();
            // One slot assigned to it, one to wait for.
            let mut reserve = task::spawn(tx.reserve_many(2));
            assert_pending!(reserve.poll());
            rx.close();
            let mut recv = task::spawn(rx.recv());
            assert_pending!(recv.poll());
            drop(permit);
            assert!(!recv.is_woken(), "the queued reservation still has a slot");
            if cancel {
                drop(reserve);
            } else {
                assert!(assert_ready!(reserve.poll()).is_err());
            }
            assert!(recv.is_woken(), "cancelled: {cancel}");
            assert_ready_eq!(recv.poll(), None);
        }
        for cancel in [false, true] {
            let (tx, mut rx) = channel::<()>(1);
            let permit = tx.try_reserve().unwrap();
            let mut reserve = task::spawn(tx.reserve());
            assert_pending!(reserve.poll());
            drop(permit);
            assert!(reserve.is_woken(), "the slot is the queued reservation's");
            rx.close();
            let mut recv = task::spawn(rx.recv());
            assert_pending!(recv.poll());
            if cancel {
                drop(reserve);
            } else {
                assert!(assert_ready!(reserve.poll()).is_err(), "closed fails even a served reservation");
            }
            assert!(recv.is_woken(), "cancelled: {cancel}");
            assert_ready_eq!(recv.poll(), None);
        }
    }

    #[test]
    fn dropping_the_receiver_lets_go_of_its_waker() {
        let (tx, mut rx) = channel::<u32>(1);
        let mut polling = task::spawn(());
        let unused = polling.waker_ref_count();
        assert_pending!(polling.enter(|cx, _| rx.poll_recv(cx)));
        assert_eq!(polling.waker_ref_count(), unused + 1);
        drop(rx);
        assert_eq!(polling.waker_ref_count(), unused, "the channel still held the receiver's waker");
        drop(tx);
    }

    #[test]
    fn many_permits_at_once_and_the_unused_ones_come_back() {
        let (tx, mut rx) = channel::<u32>(3);
        assert!(matches!(tx.try_reserve_many(4), Err(TrySendError::Full(()))));
        let mut permits = tx.try_reserve_many(2).unwrap();
        assert_eq!(permits.len(), 2);
        permits.next().unwrap().send(1);
        assert_eq!(tx.capacity(), 1);
        drop(permits);
        assert_eq!(tx.capacity(), 2);
        assert!(assert_ready!(task::spawn(tx.reserve_many(4)).poll()).is_err(), "more than the bound");
        let mut waiting = task::spawn(tx.reserve_many(3));
        assert_pending!(waiting.poll());
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(waiting.is_woken());
        let permits = assert_ready!(waiting.poll()).unwrap();
        for (n, permit) in permits.enumerate() {
            permit.send(n as u32);
        }
        let mut buffer = Vec::new();
        assert_eq!(rx.blocking_recv_many(&mut buffer, 5), 3);
        assert_eq!(buffer, [0, 1, 2]);
    }

    #[test]
    fn an_owned_permit_moves_into_a_task_and_gives_the_sender_back() {
        crate::check(|| async {
            let (tx, mut rx) = channel::<&str>(1);
            let permit = tx.reserve_owned().await.unwrap();
            let task = crate::spawn(async move { permit.send("from the task") });
            assert_eq!(rx.recv().await, Some("from the task"));
            let tx = task.await.unwrap();
            let other = tx.clone();
            let permit = tx.try_reserve_owned().unwrap();
            assert!(permit.same_channel_as_sender(&other));
            assert!(matches!(other.try_reserve_owned(), Err(TrySendError::Full(_))), "the permit holds the only slot");
        });
    }

    // After tokio's `tests/sync_mpsc_weak.rs`: a weak sender does not keep the channel open,
    // and upgrades only while a sender lives, a permit's included.
    #[test]
    fn weak_senders_upgrade_only_while_a_sender_lives() {
        let (tx, mut rx) = channel::<u32>(1);
        let weak = tx.downgrade();
        assert_eq!((tx.strong_count(), tx.weak_count(), rx.sender_weak_count()), (1, 1, 1));
        let upgraded = weak.upgrade().unwrap();
        assert_eq!(rx.sender_strong_count(), 2);
        drop((tx, upgraded));
        assert!(weak.upgrade().is_none());
        assert_ready_eq!(task::spawn(rx.recv()).poll(), None, "weak senders do not keep it open");

        let (tx, _rx) = channel::<u32>(1);
        let weak = tx.downgrade();
        let permit = tx.try_reserve_owned().unwrap();
        assert!(weak.upgrade().is_some(), "the permit's sender lives");
        drop(permit);
        assert!(weak.clone().upgrade().is_none());

        let (tx, mut rx) = unbounded_channel::<u32>();
        let weak = tx.downgrade();
        weak.upgrade().unwrap().send(1).unwrap();
        assert_eq!((weak.strong_count(), weak.weak_count()), (1, 1));
        drop(tx);
        assert!(weak.upgrade().is_none());
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }

    #[test]
    fn blocking_send_and_recv_from_blocking_tasks() {
        crate::check(|| async {
            let (tx, mut rx) = channel::<u32>(1);
            let (done_tx, mut done_rx) = unbounded_channel::<u32>();
            let producer = crate::task::spawn_blocking(move || {
                for n in 0..3 {
                    tx.blocking_send(n).unwrap();
                }
            });
            let consumer = crate::task::spawn_blocking(move || {
                let mut sum = 0;
                while let Some(n) = rx.blocking_recv() {
                    sum += n;
                }
                done_tx.send(sum).unwrap();
            });
            assert_eq!(done_rx.recv().await, Some(3));
            producer.await.unwrap();
            consumer.await.unwrap();
        });
    }

    #[test]
    #[should_panic(expected = "buffer > 0")]
    fn a_bounded_channel_needs_room() {
        let _ = channel::<()>(0);
    }

    #[test]
    fn the_futures_can_move_into_tasks() {
        fn send<F: Future + Send>(_: F) {}
        let (tx, mut rx) = channel::<String>(1);
        send(tx.send(String::new()));
        send(tx.closed());
        send(rx.recv());
        let (tx, mut rx) = unbounded_channel::<String>();
        send(tx.closed());
        send(rx.recv());
    }

    #[tokio::test]
    async fn works_on_a_tokio_runtime() {
        let (tx, mut rx) = channel(1);
        tokio::spawn(async move {
            for n in 0..10 {
                tx.send(n).await.unwrap();
            }
        });
        let mut sum = 0;
        while let Some(n) = rx.recv().await {
            sum += n;
        }
        assert_eq!(sum, 45);
    }

    #[test]
    fn every_value_arrives_in_order_from_each_producer() {
        crate::check(|| async {
            let (tx, mut rx) = channel(1);
            let producers: Vec<_> = (0..2)
                .map(|producer| {
                    let tx = tx.clone();
                    crate::spawn(async move {
                        for n in 0..2 {
                            tx.send((producer, n)).await.unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let mut last = [None, None];
            while let Some((producer, n)) = rx.recv().await {
                assert!(last[producer] < Some(n));
                last[producer] = Some(n);
            }
            assert_eq!(last, [Some(1), Some(1)]);
            for producer in producers {
                producer.await.unwrap();
            }
        });
    }

    #[test]
    fn a_sender_kept_alive_by_the_consumer_is_a_deadlock() {
        let report = Scenario::new("mpsc::sender_kept_alive").iterations(20).run(|| async {
            let (tx, mut rx) = unbounded_channel();
            let producer = crate::spawn({
                let tx = tx.clone();
                async move { tx.send(1).unwrap() }
            });
            // The bug: `tx` is still alive here, so `recv` never returns `None`.
            while rx.recv().await.is_some() {}
            producer.await.unwrap();
        });
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    }
}

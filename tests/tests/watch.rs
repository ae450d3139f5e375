//! `watch` under exploration: user code inside `send_modify` and a `Ref` held across a
//! scheduling point are ordinary, not hangs or false panics.

use racewright::Scenario;
use racewright::sync::atomic::{AtomicUsize, Ordering};
use racewright::sync::watch;
use std::sync::Arc;

#[test]
fn send_modify_may_call_racewright_inside_its_closure() {
    let report = Scenario::new("watch::send_modify").iterations(300).run(|| async {
        let (tx, mut rx) = watch::channel(0u32);
        let calls = Arc::new(AtomicUsize::new(0));
        let receiver = racewright::spawn(async move {
            rx.changed().await.unwrap();
            *rx.borrow_and_update()
        });
        let counted = calls.clone();
        tx.send_modify(|value| {
            counted.fetch_add(1, Ordering::SeqCst); // a scheduling point, inside the closure
            *value = 7;
        });
        assert_eq!(receiver.await.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    });
    assert!(report.failure().is_none(), "{report}");
}

#[test]
fn a_ref_held_across_a_scheduling_point_only_delays_a_send() {
    let report = Scenario::new("watch::ref_held").iterations(300).run(|| async {
        let (tx, rx) = watch::channel(1usize);
        let total = Arc::new(AtomicUsize::new(0));
        let sender = racewright::spawn(async move { tx.send(2).unwrap() });
        {
            let value = rx.borrow();
            total.fetch_add(*value, Ordering::SeqCst); // a scheduling point while borrowed
        }
        sender.await.unwrap();
        assert_eq!(*rx.borrow(), 2);
    });
    assert!(report.failure().is_none(), "{report}");
}

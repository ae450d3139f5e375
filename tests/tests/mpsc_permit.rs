//! `mpsc::Sender::reserve` and its `Permit`, as tokio's: a reserved slot sends without
//! waiting, and an unused permit gives its slot back.

use racewright::sync::mpsc;

#[test]
fn a_reserved_slot_sends_and_an_unused_one_is_given_back() {
    racewright::check(|| async {
        let (tx, mut rx) = mpsc::channel(1);
        let unused = tx.reserve().await.unwrap();
        assert!(tx.try_reserve().is_err(), "the only slot is reserved");
        drop(unused);
        let permit = tx.try_reserve().expect("the slot came back");
        permit.send(5);
        assert_eq!(rx.recv().await, Some(5));
    });
}

#[test]
fn a_producer_waiting_in_reserve_is_woken_by_the_consumer() {
    racewright::check(|| async {
        let (tx, mut rx) = mpsc::channel(1);
        let producer = racewright::spawn(async move {
            for n in 0..3 {
                tx.reserve().await.unwrap().send(n);
            }
        });
        let mut got = Vec::new();
        while let Some(n) = rx.recv().await {
            got.push(n);
        }
        producer.await.unwrap();
        assert_eq!(got, [0, 1, 2]);
    });
}

#[test]
fn reserve_fails_once_the_receiver_is_gone() {
    racewright::check(|| async {
        let (tx, rx) = mpsc::channel::<u8>(1);
        drop(rx);
        assert!(tx.reserve().await.is_err());
    });
}

#[test]
fn send_timeout_gives_the_value_back_when_the_channel_stays_full() {
    racewright::check(|| async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        let started = racewright::time::Instant::now();
        let error = tx.send_timeout(2, std::time::Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(error, mpsc::error::SendTimeoutError::Timeout(2)));
        assert_eq!(started.elapsed(), std::time::Duration::from_secs(5));
        assert_eq!(rx.recv().await, Some(1));
        tx.send_timeout(3, std::time::Duration::from_secs(5)).await.unwrap();
        assert_eq!(rx.recv().await, Some(3));
    });
}

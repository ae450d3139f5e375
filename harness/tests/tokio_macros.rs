//! tokio's macros as racewright gives them: `select!` (racewright's own, explored), `join!`,
//! `try_join!` and `pin!` (tokio's), written as tokio's users write them.

use std::future::{IntoFuture, ready};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use racewright::sync::oneshot;

/// A value that is not a future itself, but turns into one, as `join!` accepts.
struct Answer(u32);

impl IntoFuture for Answer {
    type Output = u32;
    type IntoFuture = std::future::Ready<u32>;
    fn into_future(self) -> Self::IntoFuture {
        ready(self.0)
    }
}

/// A future that is pending `times` times (waking itself) and logs each poll under `name`.
fn logged(name: &'static str, times: usize, log: Arc<Mutex<Vec<&'static str>>>) -> impl Future<Output = ()> {
    let mut left = times;
    std::future::poll_fn(move |cx| {
        log.lock().unwrap().push(name);
        if left == 0 {
            return Poll::Ready(());
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

#[test]
fn select_takes_64_branches_within_the_default_recursion_limit() {
    racewright::check(|| async {
        for enabled in [1, 33, 64] {
            let got = racewright::select! {
            v = ready(0), if enabled > 0 => v,
            v = ready(1), if enabled > 1 => v,
            v = ready(2), if enabled > 2 => v,
            v = ready(3), if enabled > 3 => v,
            v = ready(4), if enabled > 4 => v,
            v = ready(5), if enabled > 5 => v,
            v = ready(6), if enabled > 6 => v,
            v = ready(7), if enabled > 7 => v,
            v = ready(8), if enabled > 8 => v,
            v = ready(9), if enabled > 9 => v,
            v = ready(10), if enabled > 10 => v,
            v = ready(11), if enabled > 11 => v,
            v = ready(12), if enabled > 12 => v,
            v = ready(13), if enabled > 13 => v,
            v = ready(14), if enabled > 14 => v,
            v = ready(15), if enabled > 15 => v,
            v = ready(16), if enabled > 16 => v,
            v = ready(17), if enabled > 17 => v,
            v = ready(18), if enabled > 18 => v,
            v = ready(19), if enabled > 19 => v,
            v = ready(20), if enabled > 20 => v,
            v = ready(21), if enabled > 21 => v,
            v = ready(22), if enabled > 22 => v,
            v = ready(23), if enabled > 23 => v,
            v = ready(24), if enabled > 24 => v,
            v = ready(25), if enabled > 25 => v,
            v = ready(26), if enabled > 26 => v,
            v = ready(27), if enabled > 27 => v,
            v = ready(28), if enabled > 28 => v,
            v = ready(29), if enabled > 29 => v,
            v = ready(30), if enabled > 30 => v,
            v = ready(31), if enabled > 31 => v,
            v = ready(32), if enabled > 32 => v,
            v = ready(33), if enabled > 33 => v,
            v = ready(34), if enabled > 34 => v,
            v = ready(35), if enabled > 35 => v,
            v = ready(36), if enabled > 36 => v,
            v = ready(37), if enabled > 37 => v,
            v = ready(38), if enabled > 38 => v,
            v = ready(39), if enabled > 39 => v,
            v = ready(40), if enabled > 40 => v,
            v = ready(41), if enabled > 41 => v,
            v = ready(42), if enabled > 42 => v,
            v = ready(43), if enabled > 43 => v,
            v = ready(44), if enabled > 44 => v,
            v = ready(45), if enabled > 45 => v,
            v = ready(46), if enabled > 46 => v,
            v = ready(47), if enabled > 47 => v,
            v = ready(48), if enabled > 48 => v,
            v = ready(49), if enabled > 49 => v,
            v = ready(50), if enabled > 50 => v,
            v = ready(51), if enabled > 51 => v,
            v = ready(52), if enabled > 52 => v,
            v = ready(53), if enabled > 53 => v,
            v = ready(54), if enabled > 54 => v,
            v = ready(55), if enabled > 55 => v,
            v = ready(56), if enabled > 56 => v,
            v = ready(57), if enabled > 57 => v,
            v = ready(58), if enabled > 58 => v,
            v = ready(59), if enabled > 59 => v,
            v = ready(60), if enabled > 60 => v,
            v = ready(61), if enabled > 61 => v,
            v = ready(62), if enabled > 62 => v,
            v = ready(63), if enabled > 63 => v,
            };
            assert!(got < enabled);
        }
        let none = racewright::select! {
            _ = ready(()), if false => 0,
            else => 1,
        };
        assert_eq!(none, 1);
    });
}

#[test]
fn join_rotates_which_future_it_polls_first_and_biased_does_not() {
    racewright::check(|| async {
        let log = Arc::new(Mutex::new(Vec::new()));
        racewright::join!(logged("a", 1, log.clone()), logged("b", 1, log.clone()));
        assert_eq!(*log.lock().unwrap(), ["a", "b", "b", "a"], "the second poll starts with the second future");
        log.lock().unwrap().clear();
        racewright::join!(biased; logged("a", 1, log.clone()), logged("b", 1, log.clone()));
        assert_eq!(*log.lock().unwrap(), ["a", "b", "a", "b"]);
    });
}

#[test]
fn join_takes_into_future_values_and_handles() {
    racewright::check(|| async {
        let (tx, rx) = oneshot::channel();
        let task = racewright::spawn(async move { tx.send(3).unwrap() });
        let (answer, received, joined) = racewright::join!(Answer(1), rx, task);
        assert_eq!((answer, received, joined.unwrap()), (1, Ok(3), ()));
    });
}

#[test]
fn try_join_stops_at_the_first_error() {
    racewright::check(|| async {
        let (_tx, never) = oneshot::channel::<u32>();
        let result: Result<(u32, u32), &str> =
            racewright::try_join!(async { never.await.map_err(|_| "closed") }, async { Err("failed") },);
        assert_eq!(result, Err("failed"));
    });
}

#[test]
fn pin_pins_in_place() {
    racewright::check(|| async {
        let delay = racewright::time::sleep(racewright::time::Duration::from_secs(1));
        racewright::pin!(delay);
        (&mut delay).await;
        assert!(delay.is_elapsed());
    });
}

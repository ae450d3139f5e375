//! The first end-to-end path: the lost update of the issue, caught and fixed.

use racewright::sync::Mutex;
use std::sync::Arc;

#[racewright::test(expect = "panic")]
async fn lost_update() {
    let n = Arc::new(Mutex::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            racewright::spawn(async move {
                let v = *n.lock().await; // read, release
                racewright::task::yield_now().await;
                *n.lock().await = v + 1; // write back: lost update
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*n.lock().await, 2);
}

#[racewright::test]
async fn lost_update_fixed() {
    let n = Arc::new(Mutex::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            racewright::spawn(async move {
                let mut v = n.lock().await;
                racewright::task::yield_now().await;
                *v += 1;
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*n.lock().await, 2);
}

#[test]
fn lost_update_report() {
    let report = racewright::Scenario::new("first_path::lost_update").run(|| async {
        let n = Arc::new(Mutex::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let n = n.clone();
                racewright::spawn(async move {
                    let v = *n.lock().await;
                    racewright::task::yield_now().await;
                    *n.lock().await = v + 1;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*n.lock().await, 2);
    });
    println!("{report}");
    assert_eq!(report.failure().unwrap().kind(), racewright::FailureKind::Panic);
}

#[racewright::test(expect = "deadlock")]
async fn abba() {
    let a = Arc::new(Mutex::new(()));
    let b = Arc::new(Mutex::new(()));
    let t = racewright::spawn({
        let (a, b) = (a.clone(), b.clone());
        async move {
            let _a = a.lock().await;
            racewright::task::yield_now().await;
            let _b = b.lock().await;
        }
    });
    {
        let _b = b.lock().await;
        racewright::task::yield_now().await;
        let _a = a.lock().await;
    }
    t.await.unwrap();
}

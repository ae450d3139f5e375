//! ABBA deadlock: two locks taken in opposite orders.

use std::sync::Arc;

use racewright::sync::Mutex;

use crate::Variant;

/// A transfer between two accounts, each behind its own lock.
///
/// Buggy: the worker locks `from` then `to`; the body transfers the other way and locks
/// `to` then `from`. If the worker holds `from` and the body holds `to` at the same time,
/// each waits for the lock the other holds, forever.
///
/// Fixed: both sides lock the accounts in one global order (by account id).
pub async fn scenario(variant: Variant) {
    let accounts = Arc::new([
        Mutex::new(100), // account 0
        Mutex::new(100), // account 1
    ]);
    let worker = racewright::task::Builder::new()
        .name("transfer 0->1")
        .spawn({
            let accounts = accounts.clone();
            async move { transfer(&accounts, 0, 1, 30, variant).await }
        })
        .unwrap();
    transfer(&accounts, 1, 0, 50, variant).await;
    worker.await.unwrap();
    let total = *accounts[0].lock().await + *accounts[1].lock().await;
    assert_eq!(total, 200);
}

async fn transfer(accounts: &[Mutex<i64>; 2], from: usize, to: usize, amount: i64, variant: Variant) {
    let (first, second) = match variant {
        Variant::Buggy => (from, to),
        Variant::Fixed => (from.min(to), from.max(to)),
    };
    let mut first_guard = accounts[first].lock().await;
    racewright::task::yield_now().await;
    let mut second_guard = accounts[second].lock().await;
    let (source, target) =
        if first == from { (&mut *first_guard, &mut *second_guard) } else { (&mut *second_guard, &mut *first_guard) };
    *source -= amount;
    *target += amount;
}

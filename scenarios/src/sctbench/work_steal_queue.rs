//! SCTBench's `chess/WorkStealQueue.cpp` (the CHESS work-stealing queue after Cilk's
//! THE protocol), with its `BUG3`: a push that overwrites the element being stolen.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::{Atomic, Lock, Platform};
use crate::Variant;

/// Tasks that steal from the queue (the original's `nStealers`).
pub const STEALERS: usize = 1;
/// Items the owner pushes (the original's `nItems`).
pub const ITEMS: usize = 4;
/// Steal attempts of each stealer (the original's `nStealAttempts`).
const STEAL_ATTEMPTS: usize = 2;
/// Slots of the queue at first (the original's `INITQSIZE`), a power of two.
const INITIAL_SIZE: i64 = 2;
/// Slots the queue may grow to: more than `ITEMS` ever needs.
const CAPACITY: usize = 16;

/// The body owns a queue of items, pushing two and popping one at a time, then popping
/// the rest, while `STEALERS` tasks steal from its other end. Every item must be
/// processed exactly once.
///
/// Buggy: `push` takes its fast path while the queue has one free slot (`tail < head +
/// size`) instead of two. A stealer that has moved `head` on but not yet read its slot
/// can then read the element a push just wrote over it: that item is processed twice
/// and the stolen one never.
///
/// Fixed: the original's correct check, `tail < head + size - 1`.
pub async fn program<P: Platform>(variant: Variant) {
    let queue = Arc::new(Queue::<P>::new(variant));
    let items: Arc<Vec<AtomicI64>> = Arc::new((0..ITEMS).map(|_| AtomicI64::new(0)).collect());
    let process = |items: &[AtomicI64], item: i64| {
        items[item as usize].fetch_add(1, Ordering::Relaxed);
    };
    let stealers: Vec<_> = (0..STEALERS)
        .map(|_| {
            let (queue, items) = (queue.clone(), items.clone());
            P::spawn(async move {
                for _ in 0..STEAL_ATTEMPTS {
                    if let Some(item) = queue.steal() {
                        process(&items, item);
                    }
                }
            })
        })
        .collect();
    for pair in 0..ITEMS as i64 / 2 {
        queue.push(2 * pair);
        queue.push(2 * pair + 1);
        if let Some(item) = queue.pop() {
            process(&items, item);
        }
    }
    for _ in 0..ITEMS / 2 {
        if let Some(item) = queue.pop() {
            process(&items, item);
        }
    }
    for stealer in stealers {
        stealer.await;
    }
    for (item, times) in items.iter().enumerate() {
        assert_eq!(times.load(Ordering::Relaxed), 1, "item {item} was not processed exactly once");
    }
}

/// The queue. `head` and `tail` are the original's `std::atomic<long>`, every access a
/// scheduling point; the slots and the mask are its plain memory, std atomics here, which
/// are not (the slots' races show through `head` and `tail`).
struct Queue<P: Platform> {
    variant: Variant,
    /// Taken by steals and by the owner's slow paths.
    lock: P::Mutex<()>,
    /// Moved on only by steals (and by the owner under the lock).
    head: P::Atomic,
    /// Moved only by the owner: the first unused slot.
    tail: P::Atomic,
    /// The size of the queue minus one; the size is a power of two.
    mask: AtomicI64,
    slots: Vec<AtomicI64>,
}

impl<P: Platform> Queue<P> {
    fn new(variant: Variant) -> Self {
        Queue {
            variant,
            lock: P::Mutex::new(()),
            head: P::Atomic::new(0),
            tail: P::Atomic::new(0),
            mask: AtomicI64::new(INITIAL_SIZE - 1),
            slots: (0..CAPACITY).map(|_| AtomicI64::new(-1)).collect(),
        }
    }

    fn mask(&self) -> i64 {
        self.mask.load(Ordering::Relaxed)
    }

    fn slot(&self, index: i64) -> &AtomicI64 {
        &self.slots[(index & self.mask()) as usize]
    }

    /// `Steal`, by a foreign task.
    fn steal(&self) -> Option<i64> {
        let _held = self.lock.lock();
        let head = self.head.load();
        self.head.swap(head + 1);
        if head < self.tail.load() {
            Some(self.slot(head).load(Ordering::Relaxed))
        } else {
            // Empty, or a pop took the last element: restore the head.
            self.head.swap(head);
            None
        }
    }

    /// `Pop`, by the owner.
    fn pop(&self) -> Option<i64> {
        let tail = self.tail.load() - 1;
        self.tail.swap(tail);
        if self.head.load() <= tail {
            return Some(self.slot(tail).load(Ordering::Relaxed));
        }
        // Empty, or racing a steal for the last element: restore, and pop under the lock.
        self.tail.swap(tail + 1);
        self.pop_locked()
    }

    /// `SyncPop`.
    fn pop_locked(&self) -> Option<i64> {
        let _held = self.lock.lock();
        let tail = self.tail.load() - 1;
        self.tail.swap(tail);
        let mut found = None;
        if self.head.load() <= tail {
            found = Some(self.slot(tail).load(Ordering::Relaxed));
        } else {
            self.tail.swap(tail + 1);
        }
        if self.head.load() > tail {
            // Empty: start again from slot 0.
            self.head.swap(0);
            self.tail.swap(0);
            found = None;
        }
        found
    }

    /// `Push`, by the owner.
    fn push(&self, item: i64) {
        let tail = self.tail.load();
        // A steal may have moved `head` on without having read its slot yet: leave it alone.
        let limit = match self.variant {
            Variant::Buggy => self.head.load() + self.mask() + 1,
            Variant::Fixed => self.head.load() + self.mask(),
        };
        if tail < limit {
            self.slot(tail).store(item, Ordering::Relaxed);
            self.tail.swap(tail + 1);
        } else {
            self.push_locked(item);
        }
    }

    /// `SyncPush`: normalises the indices, grows the queue if it is full, and pushes.
    fn push_locked(&self, item: i64) {
        let _held = self.lock.lock();
        let head = self.head.load();
        let count = self.tail.load() - head;
        let head = head & self.mask();
        self.head.swap(head);
        self.tail.swap(head + count);
        if count >= self.mask() {
            let size = 2 * (self.mask() + 1);
            assert!(size as usize <= CAPACITY, "the queue outgrew its capacity");
            let items: Vec<i64> = (0..count).map(|i| self.slot(head + i).load(Ordering::Relaxed)).collect();
            for (slot, item) in self.slots.iter().zip(items) {
                slot.store(item, Ordering::Relaxed);
            }
            self.mask.store(size - 1, Ordering::Relaxed);
            self.head.swap(0);
            self.tail.swap(count);
        }
        let tail = self.tail.load();
        self.slot(tail).store(item, Ordering::Relaxed);
        self.tail.swap(tail + 1);
    }
}
